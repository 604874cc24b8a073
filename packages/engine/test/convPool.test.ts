// A conv and the max pool after it run as one block in a model's forward
// pass on Wasm (the pool reads the products' layout, relu after the pool)
// unless each layer's output is collected. Both paths must give the same logits and the same gradients
// (float32, 1e-5), and the block's gradients must match central finite
// differences (float64; piecewise-linear activations only, so the quotients
// are exact up to round-off and 1e-6 is a tight bound, as in
// layers.grad.test.ts).
import { grad, numpy as np, tree } from "@jax-js/jax";
import type { LayerInput, Shape } from "@layerlab/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { fusesConvPool } from "../src/layers/convPool";
import type { ArrayMap } from "../src/layers/types";
import { buildModel, type Model, type ModelVars } from "../src/model";
import { initWasm, uniform } from "./layers.support";

beforeAll(() => initWasm());

type Case = { name: string; inShape: Shape; conv: LayerInput; pool: LayerInput };

const CASES: Case[] = [
  {
    name: "3×3 relu, pool 2 (the MNIST CNN's first block)",
    inShape: [1, 10, 10],
    conv: { kind: "conv2d", filters: 4, kernel: 3, activation: "relu" },
    pool: { kind: "maxPool2d", size: 2 },
  },
  {
    name: "odd conv output (floor-mode pool drops a row and a column)",
    inShape: [2, 9, 8],
    conv: { kind: "conv2d", filters: 3, kernel: 3, activation: "relu" },
    pool: { kind: "maxPool2d", size: 2 },
  },
  {
    name: "same padding, stride 2, pool 3, no activation",
    inShape: [3, 13, 12],
    conv: { kind: "conv2d", filters: 2, kernel: 3, stride: 2, padding: "same" },
    pool: { kind: "maxPool2d", size: 3 },
  },
  {
    name: "leaky relu before the pool, no bias",
    inShape: [1, 8, 8],
    conv: { kind: "conv2d", filters: 3, kernel: 2, bias: false, activation: "leakyRelu" },
    pool: { kind: "maxPool2d", size: 2 },
  },
];

/**
 * The case's block first (fed with data: patches by a gather), or after a
 * 1×1 conv that keeps the shape (its input needs a gradient: im2col).
 */
function modelOf(c: Case, first: boolean): Model {
  const channels = c.inShape[0]!;
  const lead: LayerInput[] = first ? [] : [{ kind: "conv2d", filters: channels, kernel: 1 }];
  return buildModel({
    format: "layerlab.model/1",
    name: "conv-pool",
    input: { shape: c.inShape },
    layers: [...lead, c.conv, c.pool, { kind: "flatten" }, { kind: "dense", units: 3 }],
    classes: ["a", "b", "c"],
  });
}

const BOTH = CASES.flatMap((c) => [
  { ...c, first: true, where: "on data" },
  { ...c, first: false, where: "inside" },
]);

/** Σ logits · w, by the fused block (`collect` off) or layer by layer (`collect` on). Consumes its arguments. */
function lossOf(model: Model, layered: boolean, state: ArrayMap, x: np.Array, w: np.Array) {
  return (params: ArrayMap) => {
    const collect = layered ? (_: number, y: np.Array) => y.dispose() : undefined;
    const { logits } = model.apply({ params, state: tree.ref(state) }, x.ref, {
      mode: "train",
      ...(collect ? { collect } : {}),
    });
    return logits.mul(w.ref).sum();
  };
}

function maxRelDiff(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return worst;
}

function cast(vars: ModelVars, dtype: np.DType): ModelVars {
  const to = (m: ArrayMap) => Object.fromEntries(Object.entries(m).map(([k, a]) => [k, a.astype(dtype)]));
  return { params: to(vars.params), state: to(vars.state) };
}

describe("a conv + max pool as one block", () => {
  it.each(BOTH)("$where, $name: same logits and gradients as layer by layer (float32)", (c) => {
    const model = modelOf(c, c.first);
    const at = c.first ? 0 : 1;
    expect(fusesConvPool(model.spec.layers[at]!, model.spec.layers[at + 1])).toBe(true);
    const vars = model.init(3);
    const x = uniform(8, [3, ...c.inShape], -2, 2);
    const w = uniform(9, [3, 3]);
    const results = [false, true].map((layered) => {
      const loss = lossOf(model, layered, vars.state, x, w);
      const value = loss(tree.ref(vars.params)).item();
      const grads = grad(loss)(tree.ref(vars.params)) as ArrayMap;
      return { value, grads };
    });
    const [fused, layered] = results as [(typeof results)[0], (typeof results)[0]];
    expect(Math.abs(fused.value - layered.value) / (1 + Math.abs(layered.value))).toBeLessThan(1e-5);
    for (const name of Object.keys(vars.params)) {
      const a = fused.grads[name]!.dataSync() as Float32Array;
      const b = layered.grads[name]!.dataSync() as Float32Array;
      expect(maxRelDiff(a, b), name).toBeLessThan(1e-5);
    }
    tree.dispose([vars, x, w]); // dataSync consumed the gradients
  });

  it.each(BOTH)("$where, $name: gradients agree with central finite differences (float64)", (c) => {
    const model = modelOf(c, c.first);
    const vars = cast(model.init(4), np.float64);
    const x = uniform(10, [2, ...c.inShape], -2, 2).astype(np.float64);
    const w = uniform(11, [2, 3]).astype(np.float64);
    const loss = lossOf(model, false, vars.state, x, w);
    const analytic = grad(loss)(tree.ref(vars.params)) as ArrayMap;
    const eps = 1e-5;
    let worst = 0;
    for (const [name, p] of Object.entries(vars.params)) {
      const g = analytic[name]!.dataSync() as Float64Array;
      const step = Math.max(1, Math.floor(p.size / 12));
      for (let i = 0; i < p.size; i += step) {
        const bump = np.arange(p.size).equal(i).astype(np.float64).reshape(p.shape).mul(eps);
        const at = (sign: number) => {
          const bumped = Object.fromEntries(
            Object.entries(vars.params).map(([k, a]) => [k, k === name ? a.ref.add(bump.ref.mul(sign)) : a.ref]),
          );
          return loss(bumped).item() as number;
        };
        const numeric = (at(1) - at(-1)) / (2 * eps);
        bump.dispose();
        worst = Math.max(worst, Math.abs(g[i]! - numeric) / (1 + Math.abs(numeric)));
      }
    }
    expect(worst).toBeLessThan(1e-6);
    tree.dispose([vars, x, w]); // dataSync consumed the gradients
  });
});
