import { describe, expect, it } from "vitest";
import { type DecodedImage, imageToInput, inputFrame } from "../src/preprocess-image";

/*
 * inputFrame says where each model-input pixel comes from in the image. Checked
 * against imageToInput itself: the input's ink must map back onto the image's
 * ink rectangle (each ink edge of the input brackets the rectangle's edge).
 */

/** A w×h grey image filled with `bg` and a rectangle of `ink`. */
function rect(w: number, h: number, bg: number, ink: number, box: { x: number; y: number; w: number; h: number }) {
  const pixels = new Uint8Array(w * h).fill(bg);
  for (let y = box.y; y < box.y + box.h; y++) for (let x = box.x; x < box.x + box.w; x++) pixels[y * w + x] = ink;
  return { width: w, height: h, channels: 1 as const, pixels } satisfies DecodedImage;
}

/** The columns and rows of the first channel of an input `[C, H, W]` that hold any ink (brighter than the background `bg`). */
function inputInk(x: Float32Array, height: number, width: number, bg: number) {
  let u0 = width;
  let u1 = -1;
  let v0 = height;
  let v1 = -1;
  for (let v = 0; v < height; v++)
    for (let u = 0; u < width; u++)
      if (x[v * width + u]! > bg + 1e-6) {
        u0 = Math.min(u0, u);
        u1 = Math.max(u1, u);
        v0 = Math.min(v0, v);
        v1 = Math.max(v1, v);
      }
  return { u0, u1, v0, v1 };
}

function expectFrameMapsInkOntoRectangle(
  image: DecodedImage,
  shape: number[],
  digits: boolean,
  box: { x: number; y: number; w: number; h: number },
  bg: number,
) {
  const [height, width] = shape.slice(-2) as [number, number];
  const input = imageToInput(image, { shape, digits });
  const frame = inputFrame(image, { shape, digits })!;
  const ink = inputInk(input, height, width, bg);
  const toX = (u: number) => frame.offsetX + u * frame.scaleX;
  const toY = (v: number) => frame.offsetY + v * frame.scaleY;
  const slack = 1e-6;
  // The first ink column starts at or before the rectangle's left edge, less than one input pixel before it.
  expect(toX(ink.u0)).toBeLessThanOrEqual(box.x + slack);
  expect(toX(ink.u0 + 1)).toBeGreaterThan(box.x);
  expect(toX(ink.u1 + 1)).toBeGreaterThanOrEqual(box.x + box.w - slack);
  expect(toX(ink.u1)).toBeLessThan(box.x + box.w);
  expect(toY(ink.v0)).toBeLessThanOrEqual(box.y + slack);
  expect(toY(ink.v0 + 1)).toBeGreaterThan(box.y);
  expect(toY(ink.v1 + 1)).toBeGreaterThanOrEqual(box.y + box.h - slack);
  expect(toY(ink.v1)).toBeLessThan(box.y + box.h);
}

describe("input frame", () => {
  it("maps a digit model's framed input back onto the drawing's ink", () => {
    const box = { x: 37, y: 101, w: 63, h: 121 };
    expectFrameMapsInkOntoRectangle(rect(280, 280, 0, 255, box), [1, 28, 28], true, box, 0);
  });

  it("follows dark ink on white paper and a wide image into a colour digit model", () => {
    const box = { x: 150, y: 20, w: 31, h: 70 };
    expectFrameMapsInkOntoRectangle(rect(200, 120, 255, 0, box), [3, 28, 28], true, box, 0);
  });

  it("maps a plainly resized, letterboxed image", () => {
    const box = { x: 13, y: 7, w: 41, h: 29 };
    // 100×50 into 32×32: scaled to 32×16 and centred, 8 black rows above; the background is grey 0.5.
    expectFrameMapsInkOntoRectangle(rect(100, 50, 128, 255, box), [1, 32, 32], false, box, 128 / 255);
    const frame = inputFrame(rect(100, 50, 128, 255, box), { shape: [1, 32, 32], digits: false })!;
    expect(frame.scaleX).toBeCloseTo(100 / 32, 9);
    expect(frame.offsetY).toBeCloseTo(-8 * (50 / 16), 9);
  });

  it("has no frame for a digit model and a blank drawing", () => {
    expect(inputFrame(rect(28, 28, 0, 0, { x: 0, y: 0, w: 0, h: 0 }), { shape: [1, 28, 28], digits: true })).toBeNull();
  });
});
