import { analyzeSpec, LayerCost, type ModelSpecInput } from "@layerlab/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, measureLayerCost } from "../src";
import { trackLiveBuffers } from "./helpers/live-buffers";

const mlp: ModelSpecInput = {
  input: { shape: [1, 8, 8] },
  layers: [
    { kind: "flatten" },
    { kind: "dense", units: 16, activation: "relu" },
    { kind: "dropout", rate: 0.25 },
    { kind: "dense", units: 3 },
  ],
  classes: ["a", "b", "c"],
};

const cnn: ModelSpecInput = {
  input: { shape: [1, 8, 8] },
  layers: [
    { kind: "conv2d", filters: 4, kernel: 3, activation: "relu" },
    { kind: "batchNorm" },
    { kind: "maxPool2d" },
    { kind: "conv2d", filters: 6, kernel: 3, padding: "same" },
    { kind: "activation", fn: "relu" },
    { kind: "globalAvgPool" },
    { kind: "dense", units: 3 },
  ],
  classes: ["a", "b", "c"],
};

/** A graph: a residual `add` over two convs, and a `concat` of the stem with the sum. */
const residual: ModelSpecInput = {
  input: { shape: [1, 8, 8] },
  layers: [
    { kind: "conv2d", id: "stem", filters: 4, kernel: 3, padding: "same", activation: "relu" },
    { kind: "conv2d", id: "branch", filters: 4, kernel: 3, padding: "same" },
    { kind: "add", id: "sum", inputs: ["stem", "branch"] },
    { kind: "concat", inputs: ["stem", "sum"] },
    { kind: "globalAvgPool" },
    { kind: "dense", units: 3 },
  ],
  classes: ["a", "b", "c"],
};

const small = { batchSize: 8, repeats: 3, warmup: 1, latencyBatchSizes: [1, 8], latencyRepeats: 5 };

describe("measureLayerCost", () => {
  let liveBuffers: () => number;
  beforeAll(async () => {
    await initBackend();
    liveBuffers = await trackLiveBuffers();
  });

  for (const [name, spec] of [
    ["MLP", mlp],
    ["CNN", cnn],
    ["residual graph", residual],
  ] as const) {
    it(`times every layer of a tiny ${name}, counts as the analysis does and leaks no device buffer`, async () => {
      if (spec === residual) expect(analyzeSpec(spec).layers[2]!.inShapes).toHaveLength(2);
      const before = liveBuffers();
      const cost = await measureLayerCost(spec, small);
      expect(liveBuffers()).toBe(before);

      expect(LayerCost.parse(cost)).toEqual(cost);
      expect(cost.backend).toBe("wasm");
      expect(cost.batchSize).toBe(8);
      const analysis = analyzeSpec(spec);
      expect(cost.layers.map((l) => l.kind)).toEqual(analysis.layers.map((l) => l.kind));
      for (const [i, layer] of cost.layers.entries()) {
        const info = analysis.layers[i]!;
        expect(layer.index, `layer ${i}`).toBe(i);
        // A merge is measured on one input per source, of the shapes the analysis gives.
        expect(layer.inShapes, `layer ${i}`).toEqual(info.inShapes);
        // Counted on the engine's arrays, so these check the engine against the spec's arithmetic.
        expect(layer.params, `params of layer ${i}`).toBe(info.params);
        expect(layer.activationBytes, `activation bytes of layer ${i}`).toBe(info.activationBytes);
        expect(Number.isFinite(layer.forwardMs) && layer.forwardMs > 0, `forward of layer ${i}`).toBe(true);
        // Only a parameterless layer on the model's data has no backward pass (training never needs one).
        if (i === 0 && info.params === 0) {
          expect(layer.trainingMs).toBeNull();
          expect(layer.backwardMs).toBeNull();
        } else {
          expect(Number.isFinite(layer.trainingMs) && layer.trainingMs! > 0, `training pass of layer ${i}`).toBe(true);
          expect(Number.isFinite(layer.backwardMs) && layer.backwardMs! > 0, `backward of layer ${i}`).toBe(true);
        }
      }
      expect(cost.inference.map((l) => l.batchSize)).toEqual([1, 8]);
      for (const l of cost.inference) {
        expect(l.samples).toBe(5);
        expect(l.medianMs).toBeGreaterThan(0);
        expect(l.p95Ms).toBeGreaterThanOrEqual(l.medianMs);
      }
    });
  }

  it("reports progress per layer and per latency batch size, and stops when aborted", async () => {
    const progress: string[] = [];
    await measureLayerCost(mlp, { ...small, onProgress: (done, total) => progress.push(`${done}/${total}`) });
    expect(progress).toEqual(["1/6", "2/6", "3/6", "4/6", "5/6", "6/6"]);

    const before = liveBuffers();
    const controller = new AbortController();
    const run = measureLayerCost(cnn, {
      ...small,
      signal: controller.signal,
      onProgress: (done) => done === 2 && controller.abort(new Error("stopped by the test")),
    });
    await expect(run).rejects.toThrow("stopped by the test");
    expect(liveBuffers()).toBe(before);
  });

  it("refuses a spec that is not valid, naming the problem", async () => {
    const broken = { ...mlp, layers: [{ kind: "dense", units: 3 }] };
    await expect(measureLayerCost(broken, small)).rejects.toThrow(/cost cannot be measured: .*flatten/);
  });
});
