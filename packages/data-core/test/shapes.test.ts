import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateShapes, SHAPE_KINDS, type ShapesOptions } from "../src/shapes";

/** The first 16 hex digits of the sha256 of a dataset's images and labels. */
function digest(opts: ShapesOptions): string {
  const d = generateShapes(opts);
  return createHash("sha256")
    .update(d.train.images)
    .update(d.test.images)
    .update(d.train.labels)
    .digest("hex")
    .slice(0, 16);
}

describe("generateShapes", () => {
  it("gives the same bytes for the same seed and different ones for another", () => {
    const a = generateShapes({ countPerClass: 20, seed: 3 });
    const b = generateShapes({ countPerClass: 20, seed: 3 });
    const c = generateShapes({ countPerClass: 20, seed: 4 });
    expect(a.train.images).toEqual(b.train.images);
    expect(a.test.images).toEqual(b.test.images);
    expect(a.train.images).not.toEqual(c.train.images);
  });

  it("splits each class by testFraction and interleaves the classes", () => {
    const d = generateShapes({
      countPerClass: 50,
      testFraction: 0.2,
      shapes: ["circle", "square", "triangle", "star"],
    });
    expect(d.classes).toEqual(["circle", "square", "triangle", "star"]);
    expect(d.shape).toEqual([1, 28, 28]);
    expect(d.train.count).toBe(160);
    expect(d.test.count).toBe(40);
    expect(d.train.images.length).toBe(160 * 784);
    expect([...d.train.labels.subarray(0, 8)]).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it("draws a clean shape on black without noise, and a filled circle of plausible area", () => {
    const d = generateShapes({ countPerClass: 10, noise: 0, shapes: ["circle", "square"], size: 32 });
    for (let i = 0; i < d.train.count; i++) {
      const img = d.train.images.subarray(i * 1024, (i + 1) * 1024);
      const on = [...img].filter((v) => v > 0).length;
      // Radius 0.22–0.42 of 32 px: area π r² between ~155 and ~570 pixels (squares a bit less).
      expect(on).toBeGreaterThan(100);
      expect(on).toBeLessThan(700);
      expect(Math.max(...img)).toBeGreaterThanOrEqual(180);
      // Corners lie outside every shape that fits in the frame.
      expect(img[0]).toBe(0);
    }
  });

  it("makes colour images with three channels", () => {
    const d = generateShapes({ countPerClass: 4, color: true, size: 16 });
    expect(d.shape).toEqual([3, 16, 16]);
    expect(d.train.images.length).toBe(d.train.count * 3 * 256);
  });

  it("names the bad option", () => {
    expect(() => generateShapes({ size: 4 })).toThrow(/size/);
    expect(() => generateShapes({ shapes: ["circle"] })).toThrow(/at least 2/);
    expect(() => generateShapes({ shapes: ["circle", "blob" as "star"] })).toThrow(/unknown shape blob/);
    expect(() => generateShapes({ noise: 2 })).toThrow(/noise/);
  });

  // The server writes its built-in shapes once into a cache and pages generate them again: a generator that
  // drew other bytes would make runs of one dataset disagree. These digests were taken before the drawing loop
  // learned to skip pixels out of every shape's reach or inside its solid core, and must never change.
  it("draws exactly the bytes it always drew, for every kind, in grey and colour, rotated or not", () => {
    expect(digest({ shapes: [...SHAPE_KINDS], size: 40, countPerClass: 60, seed: 3 })).toBe("de9c0cea1e1a30b8");
    expect(digest({ shapes: [...SHAPE_KINDS], size: 20, countPerClass: 40, color: true, seed: 5 })).toBe(
      "4235c03f6f183073",
    );
    expect(digest({ shapes: ["star", "ring", "cross"], size: 64, countPerClass: 20, rotation: false, noise: 0 })).toBe(
      "1850abe13c79b578",
    );
  });
});
