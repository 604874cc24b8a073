import { describe, expect, it } from "vitest";
import { defaultTrainingConfig } from "../src/config";
import { ModelSpec } from "../src/model";
import { architectureName, defaultRunName, formatLearningRate } from "../src/run-name";
import { splitTags } from "../src/tags";
import { buildTemplate } from "../src/templates";

const MNIST = { inputShape: [1, 28, 28] as [number, number, number], classes: "0123456789".split("") };

describe("default run names", () => {
  it("tell an MLP and a CNN, their optimizers, rates and batch sizes apart", () => {
    const config = defaultTrainingConfig();
    const adam = { ...config, optimizer: { name: "adam" as const }, learningRate: 1e-3, batchSize: 64 };
    const sgd = { ...config, optimizer: { name: "sgd" as const }, learningRate: 1e-2, batchSize: 32 };
    expect(defaultRunName(buildTemplate("mlp", MNIST), adam, "mnist")).toBe(
      "MLP 784-128-64-10 · mnist · adam 1e-3 · bs 64",
    );
    expect(defaultRunName(buildTemplate("cnn", MNIST), sgd, "mnist")).toBe(
      "CNN conv32-conv64-fc128 · mnist · sgd 1e-2 · bs 32",
    );
  });

  it("say when the model drops out", () => {
    const spec = buildTemplate("simple-nn", MNIST, { hidden: [256], dropout: true });
    expect(defaultRunName(spec, defaultTrainingConfig(), "fashion")).toMatch(
      /^MLP 784-256-10 · fashion · .* · dropout 0\.3$/,
    );
  });

  it("write rates the way people type them", () => {
    expect([1e-3, 0.0055, 3e-4, 0.01, 0.1, 0.5, 1, 20].map(formatLearningRate)).toEqual([
      "1e-3",
      "5.5e-3",
      "3e-4",
      "1e-2",
      "0.1",
      "0.5",
      "1",
      "2e1",
    ]);
  });
});

describe("tags", () => {
  it('split "baseline, walk" into two tags, trimmed, without empties or repeats', () => {
    expect(splitTags(["baseline, walk"])).toEqual(["baseline", "walk"]);
    expect(splitTags([" a ,, b,", "b", "c , a", "  "])).toEqual(["a", "b", "c"]);
    expect(splitTags([])).toEqual([]);
  });
});

describe("default run names of graph models", () => {
  it("add the merges to the layer sizes, so a residual net and its plain twin are told apart", () => {
    const layers = [
      { kind: "conv2d", id: "stem", filters: 4, kernel: 3, padding: "same" },
      { kind: "conv2d", id: "b", filters: 4, kernel: 3, padding: "same" },
      { kind: "add", inputs: ["b", "stem"] },
      { kind: "conv2d", id: "side", filters: 2, kernel: 1, inputs: ["input"] },
      { kind: "concat", inputs: ["side", "side"] },
      { kind: "flatten" },
      { kind: "dense", units: 10 },
    ];
    const spec = ModelSpec.parse({ input: { shape: [1, 28, 28] }, layers, classes: MNIST.classes });
    expect(architectureName(spec)).toBe("CNN conv4-conv4-conv2 (1 add, 1 concat)");
    const plain = ModelSpec.parse({
      input: { shape: [1, 28, 28] },
      layers: [layers[0], layers[1], layers[5], layers[6]],
      classes: MNIST.classes,
    });
    expect(architectureName(plain)).toBe("CNN conv4-conv4");
  });
});
