import { describe, expect, it } from "vitest";
import { defaultTrainingConfig, type TrainingConfigInput } from "../src/config";
import { canonicalJson, configFingerprint } from "../src/fingerprint";
import type { LayerInput, ModelSpecInput } from "../src/model";

/** The same value with every object's keys in reverse order. */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  ) as T;
}

/** A spec with one layer of every kind (shapes need not fit: the fingerprint only parses). */
const LAYERS: LayerInput[] = [
  { kind: "conv2d", filters: 8, kernel: 3, stride: 1, padding: "same", bias: true, activation: "relu" },
  { kind: "batchNorm", momentum: 0.1, epsilon: 1e-5 },
  { kind: "maxPool2d", size: 2 },
  { kind: "avgPool2d", size: 2, stride: 2 },
  { kind: "globalAvgPool" },
  { kind: "activation", fn: "leakyRelu" },
  { kind: "dropout", rate: 0.5 },
  { kind: "flatten" },
  { kind: "dense", units: 10, bias: true, activation: { fn: "elu", alpha: 1 } },
];
const SPEC: ModelSpecInput = { name: "all kinds", input: { shape: [1, 28, 28] }, layers: LAYERS, classes: ["a", "b"] };

const withLayer = (i: number, patch: Record<string, unknown>): ModelSpecInput => ({
  ...SPEC,
  layers: LAYERS.map((l, j) => (j === i ? ({ ...l, ...patch } as LayerInput) : l)),
});

describe("canonicalJson", () => {
  it("sorts keys at every depth, keeps array order, drops undefined, writes non-finite numbers as null", () => {
    expect(canonicalJson({ b: 1, a: [3, { d: undefined, c: "x" }], e: Number.NaN, f: -0 })).toBe(
      '{"a":[3,{"c":"x"}],"b":1,"e":null,"f":0}',
    );
    expect(canonicalJson({ z: { y: 1, x: 2 } })).toBe(canonicalJson({ z: { x: 2, y: 1 } }));
  });

  it("refuses cycles", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
    const shared = { v: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"v":1},{"v":1}]');
  });
});

describe("configFingerprint", () => {
  const base = configFingerprint(SPEC, {});

  it("is a sha256 hex digest", () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  it("is stable under key order, default filling and equivalent spellings", () => {
    expect(configFingerprint(reversedKeys(SPEC), reversedKeys(defaultTrainingConfig()))).toBe(base);
    const spelledOut: ModelSpecInput = {
      format: "layerlab.model/1",
      input: { shape: [1, 28, 28] },
      classes: ["a", "b"],
      layers: [
        { kind: "conv2d", filters: 8, kernel: 3, padding: "same", activation: { fn: "relu" } },
        { kind: "batchNorm" },
        { kind: "maxPool2d", size: 2, stride: 2 },
        { kind: "avgPool2d" },
        { kind: "globalAvgPool" },
        { kind: "activation", fn: "leakyRelu", alpha: 0.01 },
        { kind: "dropout" },
        { kind: "flatten" },
        { kind: "dense", units: 10, activation: "elu" },
      ],
    };
    expect(configFingerprint(spelledOut, { optimizer: { name: "adam" }, schedule: "constant" })).toBe(base);
    expect(configFingerprint(SPEC, { optimizer: "adam", schedule: { name: "constant", warmupEpochs: 0 } })).toBe(base);
    // An alpha on a function that takes none changes nothing.
    expect(configFingerprint(withLayer(0, { activation: { fn: "relu", alpha: 0.3 } }), {})).toBe(base);
  });

  it("is what it was before the normalization field existed, for default normalization", () => {
    // Pinned from the code before `normalization` was added, so stored fingerprints keep matching.
    const mlp: ModelSpecInput = {
      input: { shape: [1, 28, 28] },
      layers: [{ kind: "flatten" }, { kind: "dense", units: 10 }],
      classes: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
    };
    const before = "053f279675e35ad6e8981c9ff1c368a0c79969c6ab57829c413359a83cc2eb22";
    expect(configFingerprint(mlp, {})).toBe(before);
    expect(configFingerprint(mlp, { normalization: "per-channel" })).toBe(before);
    expect(configFingerprint(mlp, { optimizer: "sgd", epochs: 3 }, { dataset: "mnist" })).toBe(
      "098b5c8a2f0048c03319818f1a6129d7e5a76ea4b09cf2ef98077eae16b770f6",
    );
  });

  it("ignores the spec's name", () => {
    expect(configFingerprint({ ...SPEC, name: "renamed" }, {})).toBe(base);
    expect(configFingerprint({ ...SPEC, name: undefined }, {})).toBe(base);
  });

  it("changes with every config field", () => {
    const variants: TrainingConfigInput[] = [
      { optimizer: "sgd" },
      { optimizer: { name: "sgd", momentum: 0.9 } },
      { optimizer: { name: "sgd", momentum: 0.9, nesterov: true } },
      { optimizer: { name: "adam", beta1: 0.8 } },
      { optimizer: { name: "adam", beta2: 0.99 } },
      { optimizer: { name: "adam", epsilon: 1e-7 } },
      { optimizer: "adamw" },
      { optimizer: "rmsprop" },
      { optimizer: { name: "rmsprop", alpha: 0.9 } },
      { optimizer: { name: "rmsprop", momentum: 0.5 } },
      { optimizer: "adagrad" },
      { optimizer: { name: "adagrad", initialAccumulator: 0.1 } },
      { learningRate: 0.01 },
      { schedule: { name: "constant", warmupEpochs: 1 } },
      { schedule: "step" },
      { schedule: { name: "step", gamma: 0.5 } },
      { schedule: { name: "step", milestones: [2] } },
      { schedule: "exponential" },
      { schedule: { name: "exponential", gamma: 0.9 } },
      { schedule: "cosine" },
      { schedule: { name: "cosine", minLearningRate: 1e-5 } },
      { batchSize: 32 },
      { epochs: 6 },
      { weightDecay: 1e-4 },
      { labelSmoothing: 0.1 },
      { earlyStopping: {} },
      { earlyStopping: { metric: "val_acc" } },
      { earlyStopping: { patience: 3 } },
      { earlyStopping: { minDelta: 0.01 } },
      { validationSplit: 0.2 },
      { normalization: "global" },
      { normalization: "none" },
      { augmentation: { shift: 0.1 } },
      { augmentation: { rotation: 10 } },
      { augmentation: { zoom: 0.1 } },
      { augmentation: { horizontalFlip: true } },
      { augmentation: { cutout: 0.2 } },
      { seed: 1 },
    ];
    const prints = variants.map((c) => configFingerprint(SPEC, c));
    expect(new Set([base, ...prints]).size).toBe(variants.length + 1);
  });

  it("changes with every layer field, the input shape, the classes and the dataset", () => {
    const specs: ModelSpecInput[] = [
      withLayer(0, { filters: 9 }),
      withLayer(0, { kernel: 5 }),
      withLayer(0, { stride: 2 }),
      withLayer(0, { padding: "valid" }),
      withLayer(0, { bias: false }),
      withLayer(0, { activation: "tanh" }),
      withLayer(0, { activation: undefined }),
      withLayer(1, { momentum: 0.2 }),
      withLayer(1, { epsilon: 1e-3 }),
      withLayer(2, { size: 3 }),
      withLayer(2, { stride: 1 }),
      withLayer(3, { size: 3, stride: 2 }),
      withLayer(5, { alpha: 0.2 }),
      withLayer(5, { fn: "gelu" }),
      withLayer(6, { rate: 0.4 }),
      withLayer(8, { units: 11 }),
      withLayer(8, { bias: false }),
      withLayer(8, { activation: { fn: "elu", alpha: 0.5 } }),
      { ...SPEC, layers: LAYERS.slice(1) },
      { ...SPEC, layers: [...LAYERS].reverse() },
      { ...SPEC, input: { shape: [3, 28, 28] } },
      { ...SPEC, classes: ["a", "c"] },
      { ...SPEC, classes: ["b", "a"] },
    ];
    const prints = specs.map((s) => configFingerprint(s, {}));
    prints.push(configFingerprint(SPEC, {}, { dataset: "mnist" }));
    prints.push(configFingerprint(SPEC, {}, { dataset: "fashion-mnist" }));
    expect(new Set([base, ...prints]).size).toBe(prints.length + 1);
  });

  it("throws a clear error on an invalid spec or config", () => {
    expect(() => configFingerprint({ ...SPEC, layers: [{ kind: "dense", units: 0 }] }, {})).toThrow("run analyzeSpec");
    expect(() => configFingerprint(SPEC, { epochs: 0 })).toThrow("run validateConfig");
  });
});
