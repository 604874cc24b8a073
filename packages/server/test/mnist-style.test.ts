import { describe, expect, it } from "vitest";
import { centreOfMass, inkBox, invertIfLightBackground, mnistStyle, resizeArea } from "../src/inference/mnist-style";

/** A w×h image filled with `bg` and a rectangle of `ink`. */
function rect(w: number, h: number, bg: number, ink: number, box: { x: number; y: number; w: number; h: number }) {
  const pixels = new Uint8Array(w * h).fill(bg);
  for (let y = box.y; y < box.y + box.h; y++) for (let x = box.x; x < box.x + box.w; x++) pixels[y * w + x] = ink;
  return { width: w, height: h, pixels };
}

describe("MNIST-style preprocessing of drawn digits", () => {
  it("inverts dark-on-white drawings and keeps light-on-black ones", () => {
    const paper = rect(10, 10, 255, 0, { x: 3, y: 3, w: 2, h: 2 });
    expect(invertIfLightBackground(paper).pixels[0]).toBe(0);
    expect(invertIfLightBackground(paper).pixels[33]).toBe(255);
    const dark = rect(10, 10, 0, 255, { x: 3, y: 3, w: 2, h: 2 });
    expect(invertIfLightBackground(dark)).toBe(dark);
  });

  it("finds the ink box, averages areas and computes the centre of mass by hand", () => {
    expect(inkBox(rect(10, 8, 0, 200, { x: 2, y: 1, w: 3, h: 4 }))).toEqual({ x: 2, y: 1, width: 3, height: 4 });
    expect(inkBox(rect(4, 4, 0, 0, { x: 0, y: 0, w: 0, h: 0 }))).toBeNull();
    // 2×2 → 1×1 is the mean: (0 + 100 + 200 + 100) / 4 = 100.
    expect(resizeArea({ width: 2, height: 2, pixels: Uint8Array.of(0, 100, 200, 100) }, 1, 1).pixels[0]).toBe(100);
    // Mass 1 at x=0.5 and 3 at x=1.5 (pixel centres): (0.5 + 4.5) / 4 = 1.25.
    expect(centreOfMass({ width: 2, height: 1, pixels: Uint8Array.of(1, 3) })).toEqual({ x: 1.25, y: 0.5 });
  });

  it("fits a tall stroke into 20 px high, centred by mass in 28×28", () => {
    // A 10×40 white bar drawn near the corner of a 100×100 white-paper canvas, in black ink.
    const out = mnistStyle(rect(100, 100, 255, 0, { x: 5, y: 5, w: 10, h: 40 }));
    expect(out.width).toBe(28);
    const box = inkBox(out)!;
    expect(box.height).toBe(20);
    expect(box.width).toBe(5);
    const com = centreOfMass(out);
    expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(0.5);
    expect(mnistStyle(rect(30, 30, 255, 255, { x: 0, y: 0, w: 0, h: 0 })).pixels.every((v) => v === 0)).toBe(true);
  });
});
