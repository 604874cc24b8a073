// Finite-difference gradient checks of the merges (add, concat) on their own and inside a whole graph
// model, in float64. Every function here is piecewise linear in the checked tensors, apart from batch
// norm's division by √(var + ε), which is float64-accurate, so central differences with eps = 1e-5 are
// exact up to round-off (~1e-16/eps ≈ 1e-11) and 1e-6 is a tight bound (as for the layers' checks).
import { grad, jit, numpy as np } from "@jax-js/jax";
import type { ModelSpecInput } from "@layerlab/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { merge } from "../src/layers/merge";
import type { ArrayMap } from "../src/layers/types";
import { buildModel } from "../src/model";
import { initWasm, uniform } from "./layers.support";

const EPS = 1e-5;
const TOLERANCE = 1e-6;

beforeAll(() => initWasm());

const refMap = (m: ArrayMap): ArrayMap => Object.fromEntries(Object.entries(m).map(([k, a]) => [k, a.ref]));
const disposeMap = (m: ArrayMap) => {
  for (const a of Object.values(m)) a.dispose();
};
const float64 = (seed: number, shape: number[], lo = -1, hi = 1) => uniform(seed, shape, lo, hi).astype(np.float64);

/**
 * Compares jax-js's reverse-mode gradient of the scalar `f(inputs)` with central differences, on at most
 * `perTensor` entries of each input (a fixed stride through it). Returns the worst
 * |analytic − numeric| / (1 + |numeric|). `f` consumes its argument; `inputs` are consumed.
 */
function worstGradError(f: (v: ArrayMap) => np.Array, inputs: ArrayMap, perTensor = 12): number {
  const analytic = grad(f)(refMap(inputs)) as ArrayMap;
  // Compiled once, the many evaluations take milliseconds each instead of a conv model's eager ~0.2 s.
  const value = jit(f);
  const at = (v: ArrayMap) => value(v).item();
  let worst = 0;
  for (const [name, base] of Object.entries(inputs)) {
    const size = base.size;
    const expected = analytic[name]!.ref.reshape([-1]).dataSync();
    for (let idx = 0; idx < size; idx += Math.max(1, Math.floor(size / perTensor))) {
      const bump = np.arange(size).equal(idx).astype(np.float64).reshape(base.shape).mul(EPS);
      const plus = at({ ...refMap(inputs), [name]: base.ref.add(bump.ref) });
      const minus = at({ ...refMap(inputs), [name]: base.ref.sub(bump) });
      const numeric = (plus - minus) / (2 * EPS);
      worst = Math.max(worst, Math.abs(expected[idx]! - numeric) / (1 + Math.abs(numeric)));
    }
  }
  value.dispose();
  disposeMap(analytic);
  disposeMap(inputs);
  return worst;
}

type MergeCase = { name: string; kind: "add" | "concat"; shapes: number[][]; outShape: number[] };
const MERGES: MergeCase[] = [
  {
    name: "add of two images",
    kind: "add",
    shapes: [
      [3, 3, 4, 5],
      [3, 3, 4, 5],
    ],
    outShape: [3, 3, 4, 5],
  },
  {
    name: "add of three vectors",
    kind: "add",
    shapes: [
      [4, 6],
      [4, 6],
      [4, 6],
    ],
    outShape: [4, 6],
  },
  {
    name: "concat of images with 2, 3 and 1 channels",
    kind: "concat",
    shapes: [
      [3, 2, 4, 3],
      [3, 3, 4, 3],
      [3, 1, 4, 3],
    ],
    outShape: [3, 6, 4, 3],
  },
  {
    name: "concat of vectors of 4 and 2 features",
    kind: "concat",
    shapes: [
      [5, 4],
      [5, 2],
    ],
    outShape: [5, 6],
  },
];

describe("merge gradients agree with central finite differences (float64)", () => {
  it.each(MERGES)("$name", ({ kind, shapes, outShape }) => {
    const weights = float64(99, outShape);
    const inputs: ArrayMap = Object.fromEntries(shapes.map((s, k) => [`in${k}`, float64(11 + k, s)]));
    const f = (v: ArrayMap) =>
      merge(
        kind,
        shapes.map((_, k) => v[`in${k}`]!),
      )
        .mul(weights.ref)
        .sum();
    expect(worstGradError(f, inputs)).toBeLessThan(TOLERANCE);
    weights.dispose();
  });

  it.each([
    ["add", [4, 6]],
    ["concat", [4, 2, 3, 3]],
  ] as const)("%s of one output with itself: both uses' gradients add up", (kind, shape) => {
    const out = kind === "add" ? shape : [shape[0], shape[1]! * 2, ...shape.slice(2)];
    const weights = float64(98, [...out]);
    const f = (v: ArrayMap) => merge(kind, [v.a!.ref, v.a!]).mul(weights.ref).sum();
    expect(worstGradError(f, { a: float64(12, [...shape]) })).toBeLessThan(TOLERANCE);
    weights.dispose();
  });
});

// A residual block with a strided 1×1 projection shortcut, a concat of the block with a branch of its own,
// and an output (`stem`) read by three layers; batch norm in train mode (batch statistics).
const GRAPH: ModelSpecInput = {
  input: { shape: [2, 6, 6] },
  layers: [
    { kind: "conv2d", id: "stem", filters: 3, kernel: 3, padding: "same" },
    { kind: "conv2d", filters: 4, kernel: 3, stride: 2, padding: "same", bias: false },
    { kind: "batchNorm", id: "main" },
    { kind: "conv2d", id: "proj", inputs: ["stem"], filters: 4, kernel: 1, stride: 2 },
    { kind: "add", id: "sum", inputs: ["main", "proj"] },
    { kind: "activation", fn: "relu", id: "block" },
    { kind: "conv2d", id: "side", inputs: ["stem"], filters: 2, kernel: 2, stride: 2 },
    { kind: "concat", inputs: ["block", "side"] },
    { kind: "globalAvgPool" },
    { kind: "dense", units: 3 },
  ],
  classes: ["a", "b", "c"],
};

describe("a graph model's parameter gradients agree with central finite differences (float64)", () => {
  it("projection shortcut, concat and a three-way fan-out, in train mode", () => {
    const model = buildModel(GRAPH);
    const vars = model.init(5);
    const params: ArrayMap = {};
    let s = 200;
    for (const [name, p] of Object.entries(vars.params)) {
      params[name] = float64(++s, p.shape);
      p.dispose();
    }
    expect(Object.keys(params)).toHaveLength(11);
    const state = Object.fromEntries(Object.entries(vars.state).map(([k, a]) => [k, a.astype(np.float64)]));
    const x = float64(7, [4, 2, 6, 6], -2, 2);
    const weights = float64(97, [4, 3]);
    const f = (p: ArrayMap) => {
      const out = model.apply({ params: p, state: refMap(state) }, x.ref, { mode: "train" });
      disposeMap(out.state);
      return out.logits.mul(weights.ref).sum();
    };
    expect(worstGradError(f, params)).toBeLessThan(TOLERANCE);
    for (const a of [x, weights, ...Object.values(state)]) a.dispose();
  });
});
