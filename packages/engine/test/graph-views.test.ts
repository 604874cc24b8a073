import { analyzeSpec, type TrainEvent, type TrainEventOf } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { activations } from "../src/inference";
import { disposeVars } from "../src/io/checkpoint";
import { buildModel } from "../src/model";
import { train } from "../src/train";
import { randomDataset } from "./helpers/data";

/*
 * What the views of a graph model read from the engine: every node's output (an add's and a concat's too,
 * checked against the sum and the join of their inputs' outputs), and per-layer gradient statistics that
 * list exactly the layers with parameters, the shortcut's projection and the side branch included.
 */

const spec = {
  format: "layerlab.model/2",
  input: { shape: [1, 8, 8] },
  layers: [
    { kind: "conv2d", id: "stem", filters: 4, kernel: 3, padding: "same", bias: false },
    { kind: "batchNorm" },
    { kind: "activation", fn: "relu", id: "s1" },
    { kind: "conv2d", filters: 6, kernel: 3, stride: 2, padding: "same", bias: false },
    { kind: "batchNorm", id: "b1" },
    { kind: "conv2d", id: "proj", filters: 6, kernel: 1, stride: 2, bias: false, inputs: ["s1"] },
    { kind: "add", inputs: ["b1", "proj"] },
    { kind: "activation", fn: "relu", id: "r1" },
    { kind: "avgPool2d", id: "side", size: 2, inputs: ["s1"] },
    { kind: "concat", inputs: ["r1", "side"] },
    { kind: "globalAvgPool" },
    { kind: "dense", units: 3 },
  ],
  classes: ["a", "b", "c"],
};

describe("a graph model's views", () => {
  it("collects every node's output, and the merges' outputs are the sum and the join of their inputs'", async () => {
    await initBackend();
    const analysis = analyzeSpec(spec);
    expect(analysis.ok).toBe(true);
    const model = buildModel(spec);
    const vars = model.init(4);
    const n = 2;
    const x = new Float32Array(n * 64).map((_, i) => Math.sin(i * 0.7));
    try {
      const acts = await activations(model, vars, x, n);
      expect(acts.map((a) => a.layer)).toEqual(spec.layers.map((_, i) => i));
      expect(acts.map((a) => a.shape)).toEqual(analysis.layers.map((l) => [n, ...l.outShape!]));
      const [b1, proj, add] = [acts[4]!.data, acts[5]!.data, acts[6]!.data];
      for (let i = 0; i < add.length; i++) expect(add[i]!).toBeCloseTo(b1[i]! + proj[i]!, 5);
      // The concat's channels: r1's 6, then side's 4, per sample.
      const [r1, side, concat] = [acts[7]!.data, acts[8]!.data, acts[9]!.data];
      const plane = 16;
      for (let s = 0; s < n; s++) {
        const joined = [
          ...r1.subarray(s * 6 * plane, (s + 1) * 6 * plane),
          ...side.subarray(s * 4 * plane, (s + 1) * 4 * plane),
        ];
        expect([...concat.subarray(s * 10 * plane, (s + 1) * 10 * plane)]).toEqual(joined);
      }
      // Which layers each node takes, as the inside views draw them.
      expect(model.sources[6]).toEqual([4, 5]);
      expect(model.sources[9]).toEqual([7, 8]);
    } finally {
      disposeVars(vars);
    }
  });

  it("reports gradient statistics for the layers with parameters only, each by its index and kind", async () => {
    const analysis = analyzeSpec(spec);
    const run = train({
      spec,
      config: { optimizer: "adam", learningRate: 1e-2, batchSize: 16, epochs: 1, validationSplit: 0, seed: 2 },
      dataset: randomDataset([1, 8, 8], 3, 48),
      logEvery: 1,
    });
    const events: TrainEvent[] = [];
    for await (const e of run) events.push(e);
    run.dispose();
    expect(events.at(-1)?.type).toBe("done");
    const gradients = events.filter((e) => e.type === "gradients") as TrainEventOf<"gradients">[];
    expect(gradients.length).toBe(3);
    const weighted = analysis.layers.filter((l) => l.params > 0).map((l) => [l.index, l.kind]);
    expect(weighted).toEqual([
      [0, "conv2d"],
      [1, "batchNorm"],
      [3, "conv2d"],
      [4, "batchNorm"],
      [5, "conv2d"],
      [11, "dense"],
    ]);
    for (const g of gradients) {
      expect(g.layers.map((l) => [l.layer, l.kind])).toEqual(weighted);
      // The gradient reaches both inputs of the add (the projection too) and the stem through both branches.
      for (const l of g.layers) {
        expect(l.gradNorm).toBeGreaterThan(0);
        expect(Number.isFinite(l.gradNorm)).toBe(true);
      }
    }
  });
});
