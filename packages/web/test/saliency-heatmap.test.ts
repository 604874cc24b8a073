import { buildTemplate } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { gradCamReasonOf } from "../src/saliency/availability";
import { blendOverInput, HEAT_STOPS, heatColour, placeOnCanvas } from "../src/saliency/heatmap";

describe("heat map drawing", () => {
  it("is see-through at 0 and grows more opaque and brighter with the value", () => {
    expect(heatColour(0)[3]).toBe(0);
    const top = heatColour(1);
    expect(top).toEqual([...HEAT_STOPS.at(-1)!.slice(1, 4), Math.round(HEAT_STOPS.at(-1)![4] * 255)]);
    let before = heatColour(0);
    for (let v = 0.05; v <= 1; v += 0.05) {
      const c = heatColour(v);
      expect(c[3]).toBeGreaterThanOrEqual(before[3]);
      expect(c[0] + c[1] + c[2]).toBeGreaterThanOrEqual(before[0] + before[1] + before[2]);
      before = c;
    }
    // Out-of-range and non-finite values are clamped, never NaN colours.
    expect(heatColour(2)).toEqual(top);
    expect(heatColour(Number.NaN)).toEqual(heatColour(0));
  });

  it("blends the map over a grey or colour input, leaving pixels of value 0 as they are", () => {
    const grey = Float32Array.of(0, 0.5, 1, 0.25);
    const plain = blendOverInput(grey, new Float32Array(4));
    expect(Array.from(plain)).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 64, 64, 64, 255]);
    const lit = blendOverInput(grey, Float32Array.of(0, 0, 0, 1));
    const [r, g, b, a] = heatColour(1);
    const alpha = a / 255;
    expect(Array.from(lit.subarray(12))).toEqual([
      Math.round(64 * (1 - alpha) + r * alpha),
      Math.round(64 * (1 - alpha) + g * alpha),
      Math.round(64 * (1 - alpha) + b * alpha),
      255,
    ]);
    // Channels-first colour: pixel 1 is pure green.
    const rgb = Float32Array.of(0, 0, 1, 1, 0, 0);
    expect(Array.from(blendOverInput(rgb, new Float32Array(2)).subarray(4))).toEqual([0, 255, 0, 255]);
  });

  it("places a map on the canvas through the input's frame in the image and the image's place on the canvas", () => {
    const frame = { scaleX: 10, scaleY: 8, offsetX: -5, offsetY: 3 };
    const image = { scale: 0.5, dx: 20, dy: 40 };
    const placed = placeOnCanvas(frame, image);
    for (const [u, v] of [
      [0, 0],
      [3.5, 27],
    ] as const) {
      const ix = frame.offsetX + u * frame.scaleX;
      const iy = frame.offsetY + v * frame.scaleY;
      expect(placed.offsetX + u * placed.scaleX).toBeCloseTo(image.dx + ix * image.scale, 9);
      expect(placed.offsetY + v * placed.scaleY).toBeCloseTo(image.dy + iy * image.scale, 9);
    }
  });

  it("offers Grad-CAM for conv nets only, saying why not otherwise", () => {
    const data = { inputShape: [1, 28, 28], classes: ["a", "b", "c"] };
    expect(gradCamReasonOf(buildTemplate("mlp", data))).toMatch(/Grad-CAM needs a layer whose output is an image/);
    expect(gradCamReasonOf(buildTemplate("conv-nn", data))).toBeNull();
    expect(gradCamReasonOf(buildTemplate("resnet-mnist", data))).toBeNull();
    expect(gradCamReasonOf(null)).toBeNull();
  });
});
