import { describe, expect, it } from "vitest";
import type { Dataset } from "../src/dataset";
import { datasetStatistics, previewGrid } from "../src/stats";

function tiny(): Dataset {
  // Three 1×1×2 greyscale images: classes 0, 1, 0.
  const set = { images: Uint8Array.from([0, 10, 100, 110, 200, 210]), labels: Uint8Array.from([0, 1, 0]), count: 3 };
  return { name: "tiny", shape: [1, 1, 2], classes: ["a", "b"], train: set, test: set };
}

describe("datasetStatistics", () => {
  it("counts classes and averages pixels and images", () => {
    const s = datasetStatistics(tiny()).train;
    expect(s.classCounts).toEqual([2, 1]);
    expect([...s.meanImage]).toEqual([100, 110]);
    expect(s.mean[0]).toBeCloseTo(105 / 255, 10);
  });
});

describe("previewGrid", () => {
  it("puts each class on its own row, images in order", () => {
    const g = previewGrid(tiny(), { perClass: 2, gap: 1 });
    expect(g.width).toBe(2 * 2 + 3);
    expect(g.height).toBe(2 * 1 + 3);
    const px = (x: number, y: number) => g.pixels[(y * g.width + x) * 3]!;
    expect([px(1, 1), px(2, 1), px(4, 1), px(5, 1)]).toEqual([0, 10, 200, 210]); // class a: images 0 and 2
    expect([px(1, 3), px(2, 3)]).toEqual([100, 110]); // class b
    expect(px(4, 3)).toBe(32); // empty cell stays dark grey
  });
});
