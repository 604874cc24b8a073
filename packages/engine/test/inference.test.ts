import { analyzeSpec } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { createEvaluator } from "../src/evaluate";
import { activations, predict } from "../src/inference";
import { disposeVars } from "../src/io/checkpoint";
import { buildModel } from "../src/model";
import { trackLiveBuffers } from "./helpers/live-buffers";

const spec = {
  input: { shape: [3, 12, 12] },
  layers: [
    { kind: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "relu" },
    { kind: "batchNorm" },
    { kind: "maxPool2d", size: 2 },
    { kind: "conv2d", filters: 6, kernel: 3, stride: 2 },
    { kind: "globalAvgPool" },
    { kind: "dropout", rate: 0.5 },
    { kind: "dense", units: 5 },
  ],
  classes: ["a", "b", "c", "d", "e"],
};

describe("inference", () => {
  it("activations have the shapes the spec infers, for every layer", async () => {
    await initBackend();
    const model = buildModel(spec);
    const vars = model.init(1);
    const n = 3;
    const x = new Float32Array(n * 3 * 12 * 12).map((_, i) => Math.sin(i));
    const acts = await activations(model, vars, x, n);
    const analysis = analyzeSpec(spec);
    expect(analysis.ok).toBe(true);
    expect(acts.map((a) => a.shape)).toEqual(analysis.layers.map((l) => [n, ...l.outShape!]));
    expect(acts.map((a) => a.kind)).toEqual(spec.layers.map((l) => l.kind));
    for (const a of acts) expect(a.data.length).toBe(a.shape.reduce((p, q) => p * q, 1));
    // relu output is non-negative; the last activation is the logits the evaluator turns into probabilities
    expect(Math.min(...acts[0]!.data)).toBeGreaterThanOrEqual(0);
    disposeVars(vars);
  });

  it("predict batches any number of inputs and agrees with the evaluator; probabilities sum to 1", async () => {
    await initBackend();
    const live = await trackLiveBuffers();
    const model = buildModel(spec);
    const vars = model.init(2);
    const n = 7;
    const x = new Float32Array(n * 3 * 12 * 12).map((_, i) => Math.cos(i * 0.37));
    // jax-js is lazy (constant arrays such as batch norm's initial statistics get a buffer on first use): warm up first.
    await predict(model, vars, x, n, { batchSize: 3 });
    const before = live();
    const probs = await predict(model, vars, x, n, { batchSize: 3 });
    expect(probs.length).toBe(n * 5);
    for (let i = 0; i < n; i++) {
      const row = probs.subarray(i * 5, i * 5 + 5);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    const evaluator = createEvaluator(model);
    const whole = await evaluator.probabilities(vars, x, n);
    evaluator.dispose();
    for (let i = 0; i < probs.length; i++) expect(probs[i]).toBeCloseTo(whole[i]!, 6);
    expect(live()).toBe(before);
    await expect(predict(model, vars, x.subarray(1), n)).rejects.toThrow(/expected 7 inputs of 3×12×12/);
    disposeVars(vars);
  });
});

describe("first-layer convolution", () => {
  it("computes the same outputs whether its patches come from a gather (input is data) or window views", async () => {
    await initBackend();
    const { LAYERS } = await import("../src/layers/registry");
    const { numpy: np } = await import("@jax-js/jax");
    for (const layer of [
      { kind: "conv2d", filters: 5, kernel: 3, stride: 1, padding: "valid", bias: true },
      { kind: "conv2d", filters: 4, kernel: 4, stride: 2, padding: "same", bias: true, activation: "relu" },
      { kind: "conv2d", filters: 3, kernel: 3, stride: 3, padding: "same", bias: false },
    ] as const) {
      const model = buildModel({ input: { shape: [2, 9, 11] }, layers: [layer], classes: ["a", "b"] });
      const vars = model.init(3);
      const x = new Float32Array(3 * 2 * 9 * 11).map((_, i) => Math.sin(i * 1.7));
      const outputs = await Promise.all(
        [true, false].map(async (inputIsData) => {
          const out = LAYERS.conv2d.apply(
            layer,
            {
              params: {
                weight: vars.params["0.weight"]!.ref,
                ...(layer.bias ? { bias: vars.params["0.bias"]!.ref } : {}),
              },
              state: {},
            },
            np.array(x, { shape: [3, 2, 9, 11] }),
            { mode: "eval", inputIsData },
          );
          return out.y.data();
        }),
      );
      expect(outputs[0]!.length).toBeGreaterThan(0);
      for (let i = 0; i < outputs[0]!.length; i++) expect(outputs[0]![i]).toBeCloseTo(outputs[1]![i]!, 5);
      disposeVars(vars);
    }
  });
});
