// A graph forward pass holds each output until its last reader takes it and frees the rest: after a pass
// over a model whose `hub` output is read by three layers (two convolutions and an add), disposing what
// the pass returned leaves as many live device buffers as before, eager or compiled, in either mode, with
// every output collected, and under a gradient.
import { jit, numpy as np, valueAndGrad } from "@jax-js/jax";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { disposeVars, refVars } from "../src/io/checkpoint";
import type { ArrayMap } from "../src/layers/types";
import { softmaxCrossEntropy } from "../src/loss";
import { buildModel, type ForwardOptions, type ModelVars } from "../src/model";
import { trackLiveBuffers } from "./helpers/live-buffers";

const model = buildModel({
  input: { shape: [2, 6, 6] },
  layers: [
    { kind: "conv2d", id: "hub", filters: 4, kernel: 3, padding: "same", activation: "relu" },
    { kind: "conv2d", id: "a", inputs: ["hub"], filters: 4, kernel: 1 },
    { kind: "conv2d", inputs: ["hub"], filters: 4, kernel: 3, padding: "same", bias: false },
    { kind: "batchNorm", id: "b" },
    { kind: "add", id: "sum", inputs: ["a", "b", "hub"] },
    { kind: "concat", inputs: ["sum", "a"] },
    { kind: "maxPool2d", size: 2 },
    { kind: "flatten" },
    { kind: "dense", units: 3 },
  ],
  classes: ["a", "b", "c"],
});
const N = 3;
const batch = () =>
  np.array(
    Float32Array.from({ length: N * 72 }, (_, i) => Math.sin(i * 0.37)),
    { shape: [N, 2, 6, 6] },
  );
const disposeAll = (arrays: Iterable<np.Array>) => {
  for (const a of arrays) a.dispose();
};

let live: () => number;
let vars: ModelVars;
beforeAll(async () => {
  await initBackend();
  live = await trackLiveBuffers();
  vars = model.init(4);
});

describe("a graph forward pass leaks no device buffer", () => {
  it("the hub output really has three readers", () => {
    expect(model.sources.filter((s) => s.includes(0))).toHaveLength(3);
  });

  it.each([
    ["eval mode", {}],
    ["train mode", {}],
    ["eval mode, every output collected", { collect: true }],
  ] as const)("eager apply, %s", (mode, { collect }: { collect?: boolean }) => {
    const run = () => {
      const collected: np.Array[] = [];
      const opts: ForwardOptions = {
        mode: mode.startsWith("train") ? "train" : "eval",
        ...(collect && { collect: (_i: number, y: np.Array) => collected.push(y) }),
      };
      const out = model.apply(refVars(vars), batch(), opts);
      expect(out.logits.shape).toEqual([N, 3]);
      out.logits.dispose();
      disposeAll(Object.values(out.state));
      if (collect) expect(collected).toHaveLength(model.spec.layers.length);
      disposeAll(collected);
    };
    // jax-js gives constants (batch norm's initial statistics) their buffers on first use: warm up first.
    run();
    const before = live();
    run();
    run();
    expect(live()).toBe(before);
  });

  it("a compiled loss and gradient in train mode", () => {
    const labels = () => np.array(Int32Array.from([0, 2, 1]), { shape: [N], dtype: np.int32 });
    const step = jit((params: ArrayMap, state: ArrayMap, x: np.Array, y: np.Array) => {
      const lossOf = (p: ArrayMap) => {
        const out = model.apply({ params: p, state }, x, { mode: "train" });
        return [softmaxCrossEntropy(out.logits, y), out.state] as [np.Array, ArrayMap];
      };
      const [[loss, state2], grads] = valueAndGrad(lossOf, { hasAux: true })(params);
      return [loss, state2, grads as ArrayMap] as [np.Array, ArrayMap, ArrayMap];
    });
    const run = () => {
      const v = refVars(vars);
      const [loss, state, grads] = step(v.params, v.state, batch(), labels());
      expect(Object.keys(grads).sort()).toEqual(Object.keys(vars.params).sort());
      disposeAll([loss, ...Object.values(state), ...Object.values(grads)]);
    };
    run();
    const before = live();
    run();
    run();
    expect(live()).toBe(before);
    step.dispose();
    disposeVars(vars);
  });
});
