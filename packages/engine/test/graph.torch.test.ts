// PyTorch parity of whole graph models, forward and backward: a CNN with a strided 1×1 projection
// shortcut into an add, a three-way concat and a fused conv + max pool, and an MLP whose hidden output is
// read by four layers (an add of three and a concat). The same float32 weights and batch go through the
// engine (its gradient of the mean cross-entropy, as the train step takes it, eagerly and jit-compiled)
// and through PyTorch's autograd in float64 (fixtures/torch_graph.py, one process for every pass), in train
// mode (batch-norm batch statistics, running statistics updated) and in eval mode.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { jit, numpy as np, valueAndGrad } from "@jax-js/jax";
import type { ModelSpecInput } from "@layerlab/spec";
import { beforeAll, describe, expect, it } from "vitest";
import type { ArrayMap } from "../src/layers/types";
import { softmaxCrossEntropy } from "../src/loss";
import { buildModel, type Model } from "../src/model";
import { fromPlain, initWasm, mapToPlain, maxRelDiff, type Plain, toPlain, uniform } from "./layers.support";

const ORACLE = fileURLToPath(new URL("./fixtures/torch_graph.py", import.meta.url));
const PYTHON = "/usr/bin/python3";
/** float32 in the engine against float64 in PyTorch: |a − b| / (1 + |b|). */
const TOLERANCE = 1e-5;
const BATCH = 6;
const CLASSES = ["a", "b", "c", "d", "e"];

const CNN: ModelSpecInput = {
  name: "projection shortcut, concat, fused pool",
  input: { shape: [3, 8, 8] },
  layers: [
    { kind: "conv2d", id: "stem", filters: 4, kernel: 3, padding: "same", activation: "relu" },
    { kind: "conv2d", filters: 6, kernel: 3, stride: 2, padding: "same", bias: false },
    { kind: "batchNorm" },
    { kind: "activation", fn: "relu" },
    { kind: "conv2d", filters: 6, kernel: 3, padding: "same", bias: false },
    { kind: "batchNorm", id: "main" },
    // The shortcut: 4 → 6 channels and 8×8 → 4×4 by a strided 1×1 convolution.
    { kind: "conv2d", id: "proj", inputs: ["stem"], filters: 6, kernel: 1, stride: 2, bias: false },
    { kind: "batchNorm", id: "proj_bn" },
    { kind: "add", inputs: ["main", "proj_bn"] },
    { kind: "activation", fn: "relu", id: "block" },
    { kind: "conv2d", id: "narrow", filters: 3, kernel: 1, activation: "tanh" },
    { kind: "conv2d", id: "wide", inputs: ["block"], filters: 5, kernel: 3, padding: "same", activation: "elu" },
    { kind: "concat", inputs: ["block", "narrow", "wide"] },
    // Read only by the pool: the engine runs the two as one fused block.
    { kind: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "relu" },
    { kind: "maxPool2d", size: 2 },
    { kind: "flatten" },
    { kind: "dense", units: 5 },
  ],
  classes: CLASSES,
};

const MLP: ModelSpecInput = {
  name: "vectors: add of three, concat",
  input: { shape: [10] },
  layers: [
    { kind: "dense", id: "hidden", units: 8, activation: "tanh" },
    { kind: "dense", id: "left", units: 8, activation: "relu" },
    { kind: "dense", id: "right", inputs: ["hidden"], units: 8, bias: false },
    { kind: "add", inputs: ["hidden", "left", "right"] },
    { kind: "batchNorm", id: "normed", momentum: 0.3 },
    { kind: "dense", id: "small", units: 4, activation: "gelu" },
    { kind: "concat", inputs: ["normed", "small", "hidden"] },
    { kind: "dense", units: 5 },
  ],
  classes: CLASSES,
};

/** One pass: the model, its float32 weights, the batch and the mode, as plain JSON both sides read. */
interface Pass {
  name: string;
  spec: ModelSpecInput;
  mode: "train" | "eval";
  params: Record<string, Plain>;
  state: Record<string, Plain>;
  x: Plain;
  labels: number[];
}

/** What each side computes: the logits, the loss, its gradient by parameter and the batch-norm state after. */
interface Answer {
  logits: Plain;
  loss: number;
  grads: Record<string, Plain>;
  state: Record<string, Plain>;
}

/** PyTorch's default weights as the engine draws them, with batch norms' tensors moved away from 1 and 0. */
function preparePass(name: string, spec: ModelSpecInput, mode: Pass["mode"], seed: number): Pass {
  const model = buildModel(spec);
  const vars = model.init(seed);
  let s = seed * 100;
  const redraw = (m: ArrayMap, key: string, lo: number, hi: number) => {
    const shape = m[key]!.shape;
    m[key]!.dispose();
    m[key] = uniform(++s, shape, lo, hi);
  };
  model.spec.layers.forEach((layer, i) => {
    if (layer.kind !== "batchNorm") return;
    redraw(vars.params, `${i}.weight`, 0.5, 1.5);
    redraw(vars.params, `${i}.bias`, -0.5, 0.5);
    redraw(vars.state, `${i}.running_mean`, -0.5, 0.5);
    redraw(vars.state, `${i}.running_var`, 0.5, 1.5);
  });
  const x = uniform(seed + 1, [BATCH, ...model.spec.input.shape], -2, 2);
  const labels = Array.from({ length: BATCH }, (_, k) => (k * 3 + seed) % CLASSES.length);
  return { name, spec, mode, params: mapToPlain(vars.params), state: mapToPlain(vars.state), x: toPlain(x), labels };
}

const mapFromPlain = (m: Record<string, Plain>): ArrayMap =>
  Object.fromEntries(Object.entries(m).map(([k, p]) => [k, fromPlain(p)]));

/** The loss of a pass as the train step computes it, and its gradient: consumes every argument. */
function lossAndGrad(model: Model, mode: Pass["mode"]) {
  return (params: ArrayMap, state: ArrayMap, x: np.Array, labels: np.Array) => {
    const lossOf = (p: ArrayMap) => {
      const out = model.apply({ params: p, state }, x, { mode });
      return [softmaxCrossEntropy(out.logits.ref, labels), { logits: out.logits, state: out.state }] as [
        np.Array,
        { logits: np.Array; state: ArrayMap },
      ];
    };
    const [[loss, aux], grads] = valueAndGrad(lossOf, { hasAux: true })(params);
    return { loss, logits: aux.logits, state: aux.state, grads: grads as ArrayMap };
  };
}

/** Runs a pass in the engine, eagerly or compiled. */
function engineAnswer(pass: Pass, compiled: boolean): Answer {
  const model = buildModel(pass.spec);
  const step = lossAndGrad(model, pass.mode);
  const compiledStep = compiled ? jit(step) : null;
  const labels = np.array(Int32Array.from(pass.labels), { shape: [BATCH], dtype: np.int32 });
  const out = (compiledStep ?? step)(mapFromPlain(pass.params), mapFromPlain(pass.state), fromPlain(pass.x), labels);
  const answer = {
    logits: toPlain(out.logits),
    loss: out.loss.item(),
    grads: mapToPlain(out.grads),
    state: mapToPlain(out.state),
  };
  compiledStep?.dispose();
  return answer;
}

function torchAnswers(passes: Pass[]): Answer[] {
  const r = spawnSync(PYTHON, [ORACLE], {
    input: JSON.stringify(passes.map((p) => ({ ...p, layers: buildModel(p.spec).spec.layers }))),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`the PyTorch graph oracle (${PYTHON} with torch) failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Answer[];
}

const PASSES: [string, ModelSpecInput, Pass["mode"]][] = [
  ["CNN, train mode", CNN, "train"],
  ["CNN, eval mode", CNN, "eval"],
  ["MLP, train mode", MLP, "train"],
  ["MLP, eval mode", MLP, "eval"],
];
const answers = new Map<string, { pass: Pass; torch: Answer }>();

beforeAll(async () => {
  await initWasm();
  const passes = PASSES.map(([name, spec, mode], i) => preparePass(name, spec, mode, 3 + i));
  const torch = torchAnswers(passes);
  for (const [i, pass] of passes.entries()) answers.set(pass.name, { pass, torch: torch[i]! });
}, 120_000);

/** The worst relative difference over every tensor of two maps with the same keys. */
function worstOf(got: Record<string, Plain>, want: Record<string, Plain>): number {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  return Math.max(0, ...Object.keys(want).map((k) => maxRelDiff(got[k]!, want[k]!)));
}

describe.each([
  ["eager", false],
  ["jit-compiled", true],
])("a graph model's forward and backward agree with PyTorch (%s)", (_how, compiled) => {
  it.each(PASSES.map(([name]) => [name]))("%s: logits, loss, every parameter's gradient, batch-norm state", (name) => {
    const { pass, torch } = answers.get(name)!;
    const got = engineAnswer(pass, compiled);
    expect(maxRelDiff(got.logits, torch.logits)).toBeLessThan(TOLERANCE);
    expect(Math.abs(got.loss - torch.loss) / (1 + Math.abs(torch.loss))).toBeLessThan(TOLERANCE);
    // Every parameter of the model gets a gradient, the shortcut's and each branch's included.
    expect(Object.keys(got.grads).sort()).toEqual(Object.keys(pass.params).sort());
    expect(worstOf(got.grads, torch.grads)).toBeLessThan(TOLERANCE);
    expect(worstOf(got.state, torch.state)).toBeLessThan(TOLERANCE);
  });
});
