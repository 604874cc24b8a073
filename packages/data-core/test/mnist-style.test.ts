import { describe, expect, it } from "vitest";
import { framesDrawingsAsDigits, mnistStyle } from "../src/mnist-style";

describe("mnistStyle", () => {
  it("frames a drawing the same in any pixel scale: the page's [0, 1] ink and the server's 0–255", () => {
    const w = 90;
    const ink = new Float32Array(w * w);
    // A slanted stroke, off-centre, with soft edges.
    for (let y = 5; y < 70; y++) for (let x = 10 + (y >> 2); x < 22 + (y >> 2); x++) ink[y * w + x] = x % 3 ? 1 : 0.6;
    const page = mnistStyle({ width: w, height: w, pixels: ink }, { inkThreshold: 0.05 });
    const server = mnistStyle(
      { width: w, height: w, pixels: Uint8Array.from(ink, (v) => Math.round(v * 255)) },
      { inkThreshold: 0.05 * 255 },
    );
    expect(page.width).toBe(28);
    for (let i = 0; i < page.pixels.length; i++) expect(server.pixels[i]!).toBeCloseTo(page.pixels[i]! * 255, 3);
    // The longer side (65 rows) becomes 20.
    const rows = new Set<number>();
    page.pixels.forEach((v, i) => {
      if (v > 0) rows.add(Math.floor(i / 28));
    });
    expect(rows.size).toBe(20);
  });

  it("frames drawings as digits for MNIST models only: Fashion-MNIST's items and the shapes are resized", () => {
    expect(framesDrawingsAsDigits("mnist")).toBe(true);
    expect(["fashion-mnist", "shapes", "cifar10", "ds-mnist-copy"].map(framesDrawingsAsDigits)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
