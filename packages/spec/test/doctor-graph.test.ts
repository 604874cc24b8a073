import { describe, expect, it } from "vitest";
import { analyzeSpec } from "../src/analyze";
import { DEEP_PLAIN_LAYERS, type DoctorFinding, diagnose, type EpochMetrics, weightedDepth } from "../src/doctor";
import { applyEdit, type SpecEdit } from "../src/edits";
import { layerGraph } from "../src/graph";
import { type LayerInput, ModelSpec, type ModelSpecInput } from "../src/model";

/*
 * The doctor on graph models: its fixes insert where the graph says (not merely where the list says) and
 * never leave a spec with errors, and it advises on the graph itself: shortcuts for a deep plain stack, and
 * the ReLU after (not before) a residual add.
 */

const CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const config = { optimizer: "adam", learningRate: 1e-3, epochs: 10 };

function history(rows: [number, number, number | null, number | null][]): EpochMetrics[] {
  return rows.map(([trainLoss, trainAccuracy, valLoss, valAccuracy], i) => ({
    epoch: i + 1,
    trainLoss,
    trainAccuracy,
    valLoss,
    valAccuracy,
  }));
}

/** Validation loss lowest in epoch 2 and rising after, training loss still falling. */
const overfit = history([
  [1.0, 0.7, 0.9, 0.72],
  [0.6, 0.82, 0.7, 0.8],
  [0.4, 0.88, 0.75, 0.8],
  [0.25, 0.93, 0.85, 0.79],
  [0.15, 0.96, 0.95, 0.78],
]);
/** Both accuracies low and flat. */
const underfit = history([
  [2.0, 0.3, 1.95, 0.31],
  [1.8, 0.38, 1.78, 0.39],
  [1.75, 0.4, 1.74, 0.4],
  [1.74, 0.4, 1.73, 0.41],
]);

function spec(layers: LayerInput[], shape = [1, 8, 8]): ModelSpecInput {
  return { format: "layerlab.model/2", input: { shape }, layers, classes: CLASSES };
}

function findingOf(findings: DoctorFinding[], id: string): DoctorFinding {
  const f = findings.find((x) => x.id === id);
  if (!f) throw new Error(`no ${id} finding among ${findings.map((x) => x.id).join(", ")}`);
  return f;
}

/** Applies a finding's spec fix and returns the parsed result, failing the test when it does not analyse cleanly. */
function applied(before: ModelSpecInput, fix: DoctorFinding["fix"]) {
  expect(fix).toBeDefined();
  const after = applyEdit(before, fix as SpecEdit);
  const analysis = analyzeSpec(after);
  expect(analysis.problems.filter((p) => p.severity === "error")).toEqual([]);
  return ModelSpec.parse(after);
}

/** A dense head with a residual connection: the first hidden dense feeds the next layer and an add. */
const RESIDUAL_HEAD: LayerInput[] = [
  { kind: "flatten" },
  { kind: "dense", id: "h", units: 32, activation: "relu" },
  { kind: "dense", id: "h2", units: 32, activation: "relu" },
  { kind: "add", inputs: ["h2", "h"] },
  { kind: "dense", units: 10 },
];

describe("the doctor's fixes on graphs", () => {
  it("puts dropout between a hidden dense layer and every layer that takes it, named or not", () => {
    const before = spec(RESIDUAL_HEAD);
    const f = findingOf(diagnose({ spec: before, config, history: overfit }), "overfitting");
    expect(f.suggestion).toMatch(/^Add dropout 0\.3 after dense #2\./);
    const after = applied(before, f.fix);
    expect(after.layers.map((l) => l.kind)).toEqual(["flatten", "dense", "dropout", "dense", "add", "dense"]);
    const graph = layerGraph(after.layers);
    // Both readers of dense #2 (the next dense and the add's shortcut) now read the dropout.
    expect(graph.consumers[1]).toEqual([2]);
    expect(graph.consumers[2]).toEqual([3, 4]);
    expect(after.layers[4]!.inputs).toEqual(["h2", "h_dropout"]);
  });

  it("does not widen a dense layer that feeds an add; it adds a hidden layer before the output instead", () => {
    const before = spec(RESIDUAL_HEAD);
    const f = findingOf(diagnose({ spec: before, config, history: underfit }), "underfitting");
    expect(f.suggestion).toMatch(/^Add a hidden dense layer of 128 ReLU units before the output layer\./);
    const after = applied(before, f.fix);
    expect(after.layers.map((l) => l.kind)).toEqual(["flatten", "dense", "dense", "add", "dense", "dense"]);
    expect(layerGraph(after.layers).sources.slice(4)).toEqual([[3], [4]]);
  });

  it("inserts before an output layer that names its input, and the output then takes the new layer", () => {
    const layers: LayerInput[] = [
      { kind: "flatten", id: "f" },
      { kind: "activation", fn: "relu", id: "r" },
      { kind: "activation", fn: "tanh", id: "t", inputs: ["f"] },
      { kind: "concat", id: "c", inputs: ["r", "t"] },
      { kind: "dense", units: 10, inputs: ["c"] },
    ];
    const before = spec(layers);
    const f = findingOf(diagnose({ spec: before, config, history: overfit }), "overfitting");
    expect(f.suggestion).toMatch(/^Add dropout 0\.3 before the output layer\./);
    const after = applied(before, f.fix);
    expect(after.layers.map((l) => l.kind)).toEqual([
      "flatten",
      "activation",
      "activation",
      "concat",
      "dropout",
      "dense",
    ]);
    const graph = layerGraph(after.layers);
    expect(graph.sources[4]).toEqual([3]);
    expect(graph.sources[5]).toEqual([4]); // not round the dropout, straight to the concat
  });
});

/** `blocks` conv-bn-relu blocks of 8 channels that keep an 8×8 image, then pooling and the output layer. */
function plainCnn(blocks: number): LayerInput[] {
  const layers: LayerInput[] = [];
  for (let b = 0; b < blocks; b++) {
    layers.push(
      { kind: "conv2d", filters: 8, kernel: 3, padding: "same", bias: false },
      { kind: "batchNorm" },
      { kind: "activation", fn: "relu" },
    );
  }
  layers.push({ kind: "globalAvgPool" }, { kind: "dense", units: 10 });
  return layers;
}

describe("deep networks without skip connections", () => {
  it("stays quiet below the depth where shortcuts matter", () => {
    const shallow = spec(plainCnn(DEEP_PLAIN_LAYERS - 2));
    expect(weightedDepth(ModelSpec.parse(shallow))).toBe(DEEP_PLAIN_LAYERS - 1);
    expect(diagnose({ spec: shallow, history: [] }).map((f) => f.id)).not.toContain("deep-without-skips");
  });

  it("suggests residual connections for a deep plain stack, and its fix adds valid shortcuts around equal shapes", () => {
    const before = spec(plainCnn(10));
    const f = findingOf(diagnose({ spec: before, history: [] }), "deep-without-skips");
    expect(f.severity).toBe("info");
    expect(f.evidence).toBe(
      "The longest path from the input to the output passes 11 conv and dense layers, and no add joins a block's input to its output.",
    );
    expect(f.suggestion).toMatch(/^Add 4 skip connections \(the first from activation #3 to after batchNorm #8\)/);
    const after = applied(before, f.fix);
    const adds = after.layers.flatMap((l, i) => (l.kind === "add" ? [i] : []));
    expect(adds).toHaveLength(4);
    const graph = layerGraph(after.layers);
    // Each add joins a block's input (a ReLU's output) to its last batch norm, and a ReLU follows it.
    for (const a of adds) {
      const [main, shortcut] = graph.sources[a]!;
      expect(after.layers[main!]!.kind).toBe("batchNorm");
      expect(after.layers[shortcut!]).toMatchObject({ kind: "activation", fn: "relu" });
      expect(after.layers[a + 1]).toMatchObject({ kind: "activation", fn: "relu" });
      expect(graph.consumers[a]).toEqual([a + 1]);
    }
    expect(analyzeSpec(after).totals.params).toBe(analyzeSpec(before).totals.params);
    // Once residual, the advice is gone.
    expect(diagnose({ spec: after, history: [] }).map((x) => x.id)).not.toContain("deep-without-skips");
  });

  it("is a warning when the run shows the symptom: vanishing gradients", () => {
    const gradients = [{ layers: [{ layer: 0, kind: "conv2d", gradNorm: 1e-9, updateRatio: 1e-9 }] }];
    const f = findingOf(diagnose({ spec: spec(plainCnn(10)), history: [], gradients }), "deep-without-skips");
    expect(f.severity).toBe("warning");
    expect(f.evidence).toContain("Its gradients vanish");
  });
});

describe("residual adds of ReLU outputs", () => {
  it("says so and moves the branch's ReLU layer to after the add", () => {
    const layers: LayerInput[] = [
      { kind: "conv2d", id: "s1", filters: 4, kernel: 3, padding: "same", activation: "relu" },
      { kind: "conv2d", filters: 4, kernel: 3, padding: "same" },
      { kind: "activation", fn: "relu", id: "r" },
      { kind: "add", inputs: ["r", "s1"] },
      { kind: "globalAvgPool" },
      { kind: "dense", units: 10 },
    ];
    const before = spec(layers);
    const f = findingOf(diagnose({ spec: before, history: [] }), "add-of-relus");
    expect(f.evidence).toBe(
      "add #4 adds activation #3 and conv2d #1, all outputs of a ReLU, so none is ever negative.",
    );
    expect(f.suggestion).toMatch(/^Move the ReLU of activation #3 to after add #4\./);
    const after = applied(before, f.fix);
    expect(after.layers.map((l) => l.kind)).toEqual([
      "conv2d",
      "conv2d",
      "add",
      "activation",
      "globalAvgPool",
      "dense",
    ]);
    expect(after.layers[2]!.inputs).toEqual(["conv2d_2", "s1"]);
    expect(after.layers[1]!.id).toBe("conv2d_2");
    expect(analyzeSpec(after).totals.params).toBe(analyzeSpec(before).totals.params);
    expect(diagnose({ spec: after, history: [] }).map((x) => x.id)).not.toContain("add-of-relus");
  });

  it("takes a fused ReLU off the branch's conv", () => {
    const layers: LayerInput[] = [
      { kind: "conv2d", id: "s1", filters: 4, kernel: 3, padding: "same", activation: "relu" },
      { kind: "conv2d", id: "b", filters: 4, kernel: 3, padding: "same", activation: "relu" },
      { kind: "add", inputs: ["b", "s1"] },
      { kind: "flatten" },
      { kind: "dense", units: 10 },
    ];
    const before = spec(layers);
    const after = applied(before, findingOf(diagnose({ spec: before, history: [] }), "add-of-relus").fix);
    expect(after.layers[1]).not.toHaveProperty("activation");
    expect(after.layers[3]).toMatchObject({ kind: "activation", fn: "relu" });
  });

  it("leaves a ResNet block alone: its add takes the batch norm, and the ReLU comes after", () => {
    const layers: LayerInput[] = [
      { kind: "conv2d", filters: 4, kernel: 3, padding: "same", bias: false },
      { kind: "batchNorm" },
      { kind: "activation", fn: "relu", id: "s1" },
      { kind: "conv2d", filters: 4, kernel: 3, padding: "same", bias: false },
      { kind: "batchNorm", id: "b1" },
      { kind: "add", inputs: ["b1", "s1"] },
      { kind: "activation", fn: "relu" },
      { kind: "globalAvgPool" },
      { kind: "dense", units: 10 },
    ];
    expect(diagnose({ spec: spec(layers), history: [] })).toEqual([]);
  });
});
