// Saliency maps against answers known without the code under test: models
// whose hand-set weights read only some pixels or channels, finite
// differences of the logit for the gradient, and PyTorch's bilinear
// interpolation (values printed by F.interpolate(align_corners=False)).
import { numpy as np } from "@jax-js/jax";
import { saliencyUnavailable } from "@layerlab/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { disposeVars, refVars } from "../src/io/checkpoint";
import { buildModel, type ModelVars } from "../src/model";
import { createSaliencyExplainer, gradCamLayer, saliency, upsampleBilinear } from "../src/saliency";
import { trackLiveBuffers } from "./helpers/live-buffers";

beforeAll(() => initBackend());

const arr = (data: number[], shape: number[]) => np.array(new Float32Array(data), { shape });

/** Asserts `actual` equals `expected` value by value to `digits` decimals. */
function expectClose(actual: Float32Array, expected: number[], digits = 5) {
  expect(actual.length).toBe(expected.length);
  for (const [i, v] of actual.entries()) expect(v, `value ${i}`).toBeCloseTo(expected[i]!, digits);
}

/** Indices of the non-zero values. */
const lit = (values: Float32Array) => [...values.keys()].filter((i) => values[i]! > 0);

describe("gradient × input", () => {
  // Input [1, 4, 4] → flatten → dense(3). Class 1 reads pixel (1, 2) with weight 2 and pixel (3, 0) with
  // weight -1; class 0 reads pixel (0, 0); class 2 reads nothing.
  const spec = {
    input: { shape: [1, 4, 4] },
    layers: [{ kind: "flatten" }, { kind: "dense", units: 3 }],
    classes: ["a", "b", "c"],
  };
  const weights = () => {
    const w = new Array(3 * 16).fill(0);
    w[0 * 16 + 0] = 1;
    w[1 * 16 + (1 * 4 + 2)] = 2;
    w[1 * 16 + (3 * 4 + 0)] = -1;
    return { params: { "1.weight": arr(w, [3, 16]), "1.bias": arr([0, 0, 0], [3]) }, state: {} } as ModelVars;
  };

  it("lights exactly the pixels the class's weights read, in proportion to |weight · pixel|", async () => {
    const model = buildModel(spec);
    const vars = weights();
    // Pixel (3, 0) is -1.5 (normalised inputs are signed): |-1 · -1.5| = 1.5 against |2 · 1| = 2.
    const x = new Float32Array(16).fill(0.5);
    x[1 * 4 + 2] = 1;
    x[3 * 4 + 0] = -1.5;
    const map = await saliency(model, vars, x, { method: "gradientTimesInput", classIndex: 1 });
    expect(map).toMatchObject({ height: 4, width: 4, classIndex: 1, layer: null });
    expect(lit(map.values)).toEqual([1 * 4 + 2, 3 * 4 + 0]);
    expect(map.values[1 * 4 + 2]).toBeCloseTo(1, 6);
    expect(map.values[3 * 4 + 0]).toBeCloseTo(1.5 / 2, 6);
    expect(map.peak).toBeCloseTo(2, 5);
    // logits: class 0 = 0.5, class 1 = 2 + 1.5 = 3.5, class 2 = 0 → class 1 is predicted and the default.
    expect(map.predicted).toBe(1);
    const byDefault = await saliency(model, vars, x, { method: "gradientTimesInput" });
    expect(byDefault.classIndex).toBe(1);
    expect(Array.from(byDefault.values)).toEqual(Array.from(map.values));
    const first = await saliency(model, vars, x, { method: "gradientTimesInput", classIndex: 0 });
    expect(lit(first.values)).toEqual([0]);
    // A class that reads no pixel explains nothing: all zero, peak 0.
    const none = await saliency(model, vars, x, { method: "gradientTimesInput", classIndex: 2 });
    expect(none.peak).toBe(0);
    expect(lit(none.values)).toEqual([]);
    disposeVars(vars);
  });

  it("sums the channels of a colour input", async () => {
    const model = buildModel({
      input: { shape: [2, 2, 2] },
      layers: [{ kind: "flatten" }, { kind: "dense", units: 2 }],
      classes: ["a", "b"],
    });
    // Class 0 reads pixel (0, 1) of channel 0 (weight 1) and of channel 1 (weight -3).
    const w = new Array(2 * 8).fill(0);
    w[1] = 1;
    w[4 + 1] = -3;
    const vars = { params: { "1.weight": arr(w, [2, 8]), "1.bias": arr([0, 0], [2]) }, state: {} };
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const map = await saliency(model, vars, x, { method: "gradientTimesInput", classIndex: 0 });
    expect(map).toMatchObject({ height: 2, width: 2 });
    expect(lit(map.values)).toEqual([1]);
    expect(map.peak).toBeCloseTo(1 * 2 + 3 * 6, 4);
    disposeVars(vars);
  });

  it("is the logit's gradient times the input, as finite differences measure it, through a conv net's first layer", async () => {
    // A first convolution takes a gather-based path that cannot be differentiated; the saliency pass must avoid it.
    const model = buildModel({
      input: { shape: [1, 6, 6] },
      layers: [
        { kind: "conv2d", filters: 3, kernel: 3, padding: "same", activation: "relu" },
        { kind: "maxPool2d", size: 2 },
        { kind: "flatten" },
        { kind: "dense", units: 4 },
      ],
      classes: ["a", "b", "c", "d"],
    });
    const vars = model.init(7);
    const x = Float32Array.from({ length: 36 }, (_, i) => Math.sin(i * 1.3) + 0.2);
    const classIndex = 2;
    const map = await saliency(model, vars, x, { method: "gradientTimesInput", classIndex });
    const logit = (input: Float32Array) => {
      const { logits, state } = model.apply(refVars(vars), np.array(input, { shape: [1, 1, 6, 6] }), { mode: "eval" });
      for (const s of Object.values(state)) s.dispose();
      return (logits.dataSync() as Float32Array)[classIndex]!;
    };
    // ReLU and max pool are piecewise linear: a small step stays on one piece, so the quotient is exact up to
    // float32 round-off (≈ 1e-7 / 2eps).
    const eps = 1e-3;
    for (const pixel of [0, 7, 14, 21, 28, 35]) {
      const up = x.slice();
      const down = x.slice();
      up[pixel]! += eps;
      down[pixel]! -= eps;
      const gradient = (logit(up) - logit(down)) / (2 * eps);
      expect(map.values[pixel]! * map.peak).toBeCloseTo(Math.abs(gradient * x[pixel]!), 3);
    }
    expect(map.peak).toBeGreaterThan(0);
    disposeVars(vars);
  });

  it("refuses Grad-CAM for a model without image outputs, and bad inputs and classes, saying why", async () => {
    const model = buildModel(spec);
    expect(gradCamLayer(model)).toBeNull();
    expect(saliencyUnavailable("gradCam", model.shapes.slice(1))).toMatch(
      /Grad-CAM needs a layer whose output is an image/,
    );
    expect(saliencyUnavailable("gradientTimesInput", model.shapes.slice(1))).toBeNull();
    const vars = weights();
    const x = new Float32Array(16);
    await expect(saliency(model, vars, x, { method: "gradCam" })).rejects.toThrow(/use Gradient × input/);
    await expect(saliency(model, vars, x.subarray(1), { method: "gradientTimesInput" })).rejects.toThrow(
      /expected one input of 1×4×4 \(16 values\), got 15/,
    );
    await expect(saliency(model, vars, x, { method: "gradientTimesInput", classIndex: 3 })).rejects.toThrow(
      /class 3 is not one of the model's 3 classes/,
    );
    disposeVars(vars);
  });
});

describe("Grad-CAM", () => {
  // conv 1×1 (channel 0 = relu(x), channel 1 = relu(-x)) → avgPool 2 → flatten → dense: class 0 sums channel 0's
  // pooled map, class 1 channel 1's. So ∂logit0/∂A is 1 on channel 0 and 0 on channel 1: α = [1, 0], and the
  // map is relu(A₀) = channel 0's pooled map, upsampled from 2×2 to 4×4.
  const spec = {
    input: { shape: [1, 4, 4] },
    layers: [
      { kind: "conv2d", filters: 2, kernel: 1, bias: false, activation: "relu" },
      { kind: "avgPool2d", size: 2 },
      { kind: "flatten" },
      { kind: "dense", units: 2 },
    ],
    classes: ["a", "b"],
  };
  const weights = (): ModelVars => ({
    params: {
      "0.weight": arr([1, -1], [2, 1, 1, 1]),
      "3.weight": arr([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], [2, 8]),
      "3.bias": arr([0, 0], [2]),
    },
    state: {},
  });
  // Blocks of 2×2 pixels with the values 0, 1 / 2, 3: the pooled channel 0 is [[0, 1], [2, 3]].
  const x = Float32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
  // F.interpolate([[0, 1], [2, 3]], size=(4, 4), mode="bilinear", align_corners=False), divided by its max 3.
  const TORCH_UPSAMPLED = [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3];

  it("reads the last layer whose output is an image", () => {
    expect(gradCamLayer(buildModel(spec))).toBe(1);
  });

  it("weights the channels by their mean gradient and upsamples the map bilinearly", async () => {
    const model = buildModel(spec);
    const vars = weights();
    const map = await saliency(model, vars, x, { method: "gradCam" });
    // logits: class 0 = 0 + 1 + 2 + 3 = 6, class 1 = 0 → class 0 is predicted and explained.
    expect(map).toMatchObject({ method: "gradCam", classIndex: 0, predicted: 0, layer: 1, height: 4, width: 4 });
    expect(map.peak).toBeCloseTo(3, 5);
    expectClose(
      map.values,
      TORCH_UPSAMPLED.map((v) => v / 3),
    );
    // Class 1 reads channel 1, which is relu(-x) = 0 for this input: no evidence anywhere.
    const other = await saliency(model, vars, x, { method: "gradCam", classIndex: 1 });
    expect(other.peak).toBe(0);
    expect(lit(other.values)).toEqual([]);
    // Negate the input: channel 1 now holds the blocks and class 1 lights them the same way.
    const negated = await saliency(
      model,
      vars,
      x.map((v) => -v),
      { method: "gradCam", classIndex: 1 },
    );
    expectClose(
      negated.values,
      TORCH_UPSAMPLED.map((v) => v / 3),
    );
    disposeVars(vars);
  });

  it("works on a graph model: a layer with two inputs before the map's layer", async () => {
    // conv c, then conv d (the identity) of c, then add(c, d) = 2·c: the pooled channel 0 doubles to
    // [[0, 2], [4, 6]], so the map (scaled to [0, 1]) is the same as above and its peak is 6.
    const model = buildModel({
      input: { shape: [1, 4, 4] },
      layers: [
        { kind: "conv2d", id: "c", filters: 2, kernel: 1, bias: false, activation: "relu" },
        { kind: "conv2d", id: "d", filters: 2, kernel: 1, bias: false },
        { kind: "add", inputs: ["c", "d"] },
        { kind: "avgPool2d", size: 2 },
        { kind: "flatten" },
        { kind: "dense", units: 2 },
      ],
      classes: ["a", "b"],
    });
    expect(gradCamLayer(model)).toBe(3);
    const { params } = weights();
    const vars: ModelVars = {
      params: {
        "0.weight": params["0.weight"]!,
        "1.weight": arr([1, 0, 0, 1], [2, 2, 1, 1]),
        "5.weight": params["3.weight"]!,
        "5.bias": params["3.bias"]!,
      },
      state: {},
    };
    const map = await saliency(model, vars, x, { method: "gradCam" });
    expect(map).toMatchObject({ classIndex: 0, layer: 3 });
    expect(map.peak).toBeCloseTo(6, 5);
    expectClose(
      map.values,
      TORCH_UPSAMPLED.map((v) => v / 3),
    );
    // Gradient × input through the sum: logit 0 = Σ pooled 2·relu(x) = 2/4 · Σ x over the 16 pixels (x ≥ 0),
    // so every pixel's gradient is 1/2 and the map is x itself, scaled by its max 3.
    const gxi = await saliency(model, vars, x, { method: "gradientTimesInput" });
    expect(gxi.peak).toBeCloseTo(1.5, 5);
    expectClose(
      gxi.values,
      Array.from(x, (v) => v / 3),
    );
    disposeVars(vars);
  });

  it("upsamples as PyTorch's bilinear interpolation does, for any sizes", () => {
    const out = upsampleBilinear(Float32Array.from([0, 1, 2, 3, 4, 5]), 2, 3, 5, 4);
    // F.interpolate(arange(6).reshape(1, 1, 2, 3), size=(5, 4), mode="bilinear", align_corners=False)
    const expected = [
      0, 0.625, 1.375, 2, 0.3, 0.925, 1.675, 2.3, 1.5, 2.125, 2.875, 3.5, 2.7, 3.325, 4.075, 4.7, 3, 3.625, 4.375, 5,
    ];
    expectClose(out, expected);
  });
});

describe("explainer", () => {
  it("reuses its compiled passes and frees every array it makes", async () => {
    const live = await trackLiveBuffers();
    const model = buildModel({
      input: { shape: [1, 8, 8] },
      layers: [
        { kind: "conv2d", filters: 4, kernel: 3, activation: "relu" },
        { kind: "batchNorm" },
        { kind: "maxPool2d", size: 2 },
        { kind: "flatten" },
        { kind: "dense", units: 3 },
      ],
      classes: ["a", "b", "c"],
    });
    const vars = model.init(3);
    const explainer = createSaliencyExplainer(model);
    const x = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i * 0.7));
    // jax-js gives constants (batch norm's initial statistics) their buffers on first use: warm up first.
    await explainer.explain(vars, x, { method: "gradientTimesInput" });
    await explainer.explain(vars, x, { method: "gradCam" });
    const before = live();
    for (const method of ["gradientTimesInput", "gradCam"] as const) {
      for (let c = 0; c < 3; c++) {
        const map = await explainer.explain(vars, x, { method, classIndex: c });
        expect(map.values.length).toBe(64);
        expect(Math.max(...map.values)).toBeLessThanOrEqual(1);
        expect(Math.min(...map.values)).toBeGreaterThanOrEqual(0);
      }
    }
    await expect(explainer.explain(vars, x, { method: "gradCam", classIndex: 9 })).rejects.toThrow(/class 9/);
    expect(live()).toBe(before);
    explainer.dispose();
    disposeVars(vars);
  });
});
