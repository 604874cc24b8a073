import { describe, expect, it } from "vitest";
import { centreOfMass, inkBox } from "../src/mnist-style";
import {
  type DecodedImage,
  fitArea,
  imagePlanes,
  imageToInput,
  normalizeInput,
  preprocessImage,
} from "../src/preprocess-image";

/** A w×h grey image filled with `bg` and a rectangle of `ink`. */
function rect(w: number, h: number, bg: number, ink: number, box: { x: number; y: number; w: number; h: number }) {
  const pixels = new Uint8Array(w * h).fill(bg);
  for (let y = box.y; y < box.y + box.h; y++) for (let x = box.x; x < box.x + box.w; x++) pixels[y * w + x] = ink;
  return { width: w, height: h, channels: 1 as const, pixels };
}

describe("area resampling", () => {
  it("averages the area each output pixel covers, fractions included", () => {
    // 3×1 → 2×1: each output pixel covers 1.5 input pixels.
    // Left: (30 + 0.5·60) / 1.5 = 40; right: (0.5·60 + 90) / 1.5 = 80.
    const out = fitArea({ width: 3, height: 1, pixels: Float32Array.of(30, 60, 90) }, 2, 1);
    expect(Array.from(out)).toEqual([40, 80]);
    // 4×4 → 2×2: means of the 2×2 blocks.
    const blocks = Float32Array.from({ length: 16 }, (_, i) => ((i >> 3) * 2 + ((i % 4) >> 1)) * 10);
    expect(Array.from(fitArea({ width: 4, height: 4, pixels: blocks }, 2, 2))).toEqual([0, 10, 20, 30]);
  });

  it("keeps the aspect: a wide image is centred with black above and below", () => {
    // 4×2 of 100 → 2×2: scale 1/2, content 2×1 in the middle row... rounded to the top of two rows.
    const out = fitArea({ width: 4, height: 2, pixels: new Float32Array(8).fill(100) }, 2, 2);
    expect(Array.from(out)).toEqual([100, 100, 0, 0]);
    const tall = fitArea({ width: 2, height: 6, pixels: new Float32Array(12).fill(60) }, 3, 3);
    expect(Array.from(tall)).toEqual([0, 60, 0, 0, 60, 0, 0, 60, 0]);
  });

  it("brings colour to grey by luma and grey to colour by repetition, on white where transparent", () => {
    const rgba: DecodedImage = { width: 2, height: 1, channels: 4, pixels: [255, 0, 0, 255, 0, 0, 0, 0] };
    const [grey] = imagePlanes(rgba, 1);
    expect(grey![0]).toBeCloseTo(0.299 * 255, 3);
    expect(grey![1]).toBe(255); // fully transparent: white paper
    const rgb = imagePlanes({ width: 1, height: 1, channels: 1, pixels: [7] }, 3);
    expect(rgb.map((p) => p[0])).toEqual([7, 7, 7]);
    expect(() => imagePlanes({ width: 2, height: 2, channels: 3, pixels: [1, 2, 3] }, 3)).toThrow(/2×2×3/);
  });

  it("keeps the colour planes of an RGB model's input apart (channels first)", () => {
    // A red 2×2 image for a [3, 1, 1] model: R plane 1, G and B 0.
    const red = {
      width: 2,
      height: 2,
      channels: 3 as const,
      pixels: new Uint8Array(12).map((_, i) => (i % 3 ? 0 : 255)),
    };
    expect(Array.from(imageToInput(red, { shape: [3, 1, 1], digits: false }))).toEqual([1, 0, 0]);
  });
});

describe("MNIST framing of digits", () => {
  it("inverts dark ink on white, fits the longer side into 20 px and centres it by mass in 28×28", () => {
    // A black 10×40 bar near the corner of a white 100×100 sheet.
    const x = imageToInput(rect(100, 100, 255, 0, { x: 5, y: 5, w: 10, h: 40 }), { shape: [1, 28, 28], digits: true });
    const framed = { width: 28, height: 28, pixels: x };
    const box = inkBox(framed, 0.1)!;
    expect(box.height).toBe(20);
    expect(box.width).toBe(5);
    const com = centreOfMass(framed);
    expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...x)).toBeCloseTo(1, 5); // ink is light: 1 on a black 0
    expect(x[0]).toBe(0);
  });

  it("frames light ink on black the same as its dark-on-white negative", () => {
    const format = { shape: [1, 28, 28], digits: true };
    const paper = imageToInput(rect(60, 60, 255, 0, { x: 30, y: 10, w: 8, h: 30 }), format);
    const screen = imageToInput(rect(60, 60, 0, 255, { x: 30, y: 10, w: 8, h: 30 }), format);
    expect(Array.from(screen)).toEqual(Array.from(paper));
    expect(imageToInput(rect(30, 30, 255, 255, { x: 0, y: 0, w: 0, h: 0 }), format).every((v) => v === 0)).toBe(true);
  });

  it("leaves non-digit images as they are: no inversion, no cropping", () => {
    const x = imageToInput(rect(4, 4, 255, 0, { x: 0, y: 0, w: 2, h: 4 }), { shape: [1, 2, 2], digits: false });
    expect(Array.from(x)).toEqual([0, 1, 0, 1]);
  });
});

describe("normalisation with the run's statistics", () => {
  it("standardises each channel with its own mean and std", () => {
    const x = normalizeInput(Float32Array.of(0.5, 1, 0.2, 0.4), [2, 1, 2], { mean: [0.5, 0.2], std: [0.25, 0.1] });
    expect(Array.from(x).map((v) => +v.toFixed(5))).toEqual([0, 2, 0, 2]);
    // One mean/std stands for every channel.
    const one = normalizeInput(Float32Array.of(1, 1), [2, 1, 1], { mean: [0.5], std: [0.5] });
    expect(Array.from(one)).toEqual([1, 1]);
  });

  it("refuses missing or unfitting statistics with an error that names the fix", () => {
    const pixels = new Float32Array(2);
    expect(() => normalizeInput(pixels, [2, 1, 1], undefined)).toThrow(/normalization\.json.*"mean"/);
    expect(() => normalizeInput(pixels, [2, 1, 1], { mean: [0.1, 0.2] } as never)).toThrow(
      /2 \(one per channel\) or one/,
    );
    expect(() => normalizeInput(pixels, [2, 1, 1], { mean: [0.1, 0.2, 0.3], std: [1, 1, 1] })).toThrow(/statistics/);
    expect(() => normalizeInput(pixels, [2, 1, 1], { mean: [0, 0], std: [1, 0] })).toThrow(/positive std/);
  });

  it("composes: decoded image → input → normalised input", () => {
    const image = rect(2, 2, 51, 51, { x: 0, y: 0, w: 0, h: 0 });
    const x = preprocessImage(image, { shape: [1, 1, 1], digits: false }, { mean: [0.1], std: [0.5] });
    expect(x[0]).toBeCloseTo((51 / 255 - 0.1) / 0.5, 6);
  });
});
