// Forward parity with real PyTorch (torch.nn.functional in float64, run by
// /usr/bin/python3 on the same weights and inputs). The engine computes in
// float32, so 1e-5 relative (to 1 + |torch|) is float32 accumulation error
// over a few hundred terms, far below any indexing or padding mistake.
import { random } from "@jax-js/jax";
import type { LayerInput, Shape } from "@layerlab/spec";
import { beforeAll, describe, expect, it } from "vitest";
import type { ArrayMap } from "../src/layers/types";
import {
  applyLayer,
  fromPlain,
  implOf,
  initWasm,
  layerOf,
  mapToPlain,
  maxRelDiff,
  type Plain,
  type TorchForwardAnswer,
  type TorchForwardRequest,
  toPlain,
  torchForwardAll,
  uniform,
} from "./layers.support";

const TOLERANCE = 1e-5;

/** Random (non-default) vars for a layer: params U(−1, 1), batch-norm running stats away from 0/1. */
function randomVars(
  layer: ReturnType<typeof layerOf>,
  inShape: Shape,
  seed: number,
): { params: ArrayMap; state: ArrayMap } {
  const vars = implOf(layer).init(layer as never, inShape, random.key(seed));
  let s = seed;
  const redraw = (m: ArrayMap, lo: number, hi: number): ArrayMap =>
    Object.fromEntries(
      Object.entries(m).map(([k, a]) => {
        const shape = a.shape;
        a.dispose();
        return [k, uniform(++s, shape, lo, hi)];
      }),
    );
  return { params: redraw(vars.params, -1, 1), state: redraw(vars.state, 0.5, 1.5) };
}

/** Layers to run in sequence in the engine and in PyTorch, on a random batch of `batch` (default 3) inputs. */
interface Comparison {
  layers: LayerInput[];
  inShape: Shape;
  mode: "train" | "eval";
  batch?: number;
}

/** A comparison's layers, random vars and input batch, as plain JSON: what both sides run on. */
function prepare({ layers: inputs, inShape, mode, batch = 3 }: Comparison, seed = 5): TorchForwardRequest {
  const layers = inputs.map(layerOf);
  const shapes: Shape[] = [inShape];
  for (const l of layers) shapes.push(implOf(l).outShape(l as never, shapes[shapes.length - 1]!));
  const vars = layers.map((l, i) => randomVars(l, shapes[i]!, seed + 10 * i));
  const x = uniform(seed + 1000, [batch, ...inShape], -2, 2);
  return {
    layers,
    vars: vars.map((v) => ({ params: mapToPlain(v.params), state: mapToPlain(v.state) })),
    x: toPlain(x),
    mode,
  };
}

const mapFromPlain = (m: Record<string, Plain>): ArrayMap =>
  Object.fromEntries(Object.entries(m).map(([k, p]) => [k, fromPlain(p)]));

/** Runs a prepared pass in the engine (float32, the same values PyTorch got): its output and each layer's state. */
function engineForward(req: TorchForwardRequest): TorchForwardAnswer {
  let h = fromPlain(req.x);
  const state = req.layers.map((l, i) => {
    const vars = req.vars[i]!;
    const out = applyLayer(l, { params: mapFromPlain(vars.params), state: mapFromPlain(vars.state) }, h, {
      mode: req.mode,
    });
    h = out.y;
    return mapToPlain(out.state);
  });
  return { y: toPlain(h), state };
}

/** PyTorch's answer to every comparison of this file, from one oracle process started before the tests. */
const oracle = new Map<Comparison, { request: TorchForwardRequest; want: TorchForwardAnswer }>();

/** The engine's output and states beside PyTorch's, for a comparison declared in this file. */
function compare(comparison: Comparison) {
  const prepared = oracle.get(comparison);
  if (!prepared) throw new Error("comparison not prepared: list it in COMPARISONS");
  const got = engineForward(prepared.request);
  return { got: got.y, want: prepared.want.y, states: got.state, wantStates: prepared.want.state };
}

type Case = { name: string; layers: LayerInput[]; inShape: Shape };
const CASES: Case[] = [
  { name: "dense", layers: [{ kind: "dense", units: 7 }], inShape: [10] },
  {
    name: "dense no bias + relu",
    layers: [{ kind: "dense", units: 5, bias: false, activation: "relu" }],
    inShape: [6],
  },
  { name: "conv2d valid 3×3", layers: [{ kind: "conv2d", filters: 4, kernel: 3 }], inShape: [3, 8, 7] },
  { name: "conv2d valid stride 2", layers: [{ kind: "conv2d", filters: 4, kernel: 3, stride: 2 }], inShape: [2, 9, 8] },
  { name: "conv2d same 3×3", layers: [{ kind: "conv2d", filters: 4, kernel: 3, padding: "same" }], inShape: [2, 6, 5] },
  {
    name: "conv2d same 4×4 (even)",
    layers: [{ kind: "conv2d", filters: 3, kernel: 4, padding: "same" }],
    inShape: [2, 6, 5],
  },
  {
    name: "conv2d same 3×3 stride 2",
    layers: [{ kind: "conv2d", filters: 3, kernel: 3, stride: 2, padding: "same" }],
    inShape: [2, 7, 6],
  },
  {
    name: "conv2d same 2×2 stride 3, tanh",
    layers: [{ kind: "conv2d", filters: 3, kernel: 2, stride: 3, padding: "same", activation: "tanh" }],
    inShape: [1, 8, 7],
  },
  { name: "conv2d 1→32 on 28×28 (MNIST)", layers: [{ kind: "conv2d", filters: 32, kernel: 3 }], inShape: [1, 28, 28] },
  { name: "conv2d 32→64 on 13×13", layers: [{ kind: "conv2d", filters: 64, kernel: 3 }], inShape: [32, 13, 13] },
  { name: "maxPool2d 2", layers: [{ kind: "maxPool2d" }], inShape: [3, 7, 6] },
  { name: "maxPool2d 3 stride 2", layers: [{ kind: "maxPool2d", size: 3, stride: 2 }], inShape: [2, 8, 7] },
  { name: "avgPool2d 2", layers: [{ kind: "avgPool2d" }], inShape: [3, 7, 6] },
  { name: "avgPool2d 3 stride 1", layers: [{ kind: "avgPool2d", size: 3, stride: 1 }], inShape: [2, 6, 5] },
  { name: "globalAvgPool", layers: [{ kind: "globalAvgPool" }], inShape: [4, 5, 3] },
  {
    name: "conv → flatten → dense (C·H·W order)",
    layers: [{ kind: "conv2d", filters: 3, kernel: 3 }, { kind: "flatten" }, { kind: "dense", units: 4 }],
    inShape: [2, 5, 6],
  },
  ...(["relu", "sigmoid", "tanh", "gelu", "elu", "leakyRelu"] as const).map(
    (fn): Case => ({ name: `activation ${fn}`, layers: [{ kind: "activation", fn }], inShape: [4, 5] }),
  ),
  { name: "activation leakyRelu(0.2)", layers: [{ kind: "activation", fn: "leakyRelu", alpha: 0.2 }], inShape: [20] },
  { name: "activation elu(0.5)", layers: [{ kind: "activation", fn: "elu", alpha: 0.5 }], inShape: [20] },
  { name: "dense + gelu", layers: [{ kind: "dense", units: 6, activation: "gelu" }], inShape: [5] },
];

const FORWARD: (Comparison & { name: string })[] = CASES.map((c) => ({ ...c, mode: "eval" }));
const BATCH_NORM_TRAIN: (Comparison & { name: string; momentum: number })[] = [
  { name: "2-D", inShape: [6], momentum: 0.1 },
  { name: "4-D", inShape: [3, 4, 5], momentum: 0.25 },
].map((c) => ({ ...c, layers: [{ kind: "batchNorm", momentum: c.momentum }], mode: "train", batch: 4 }));
const BATCH_NORM_EVAL: (Comparison & { name: string })[] = [
  { name: "2-D", inShape: [6] },
  { name: "4-D", inShape: [3, 4, 5] },
].map((c) => ({ ...c, layers: [{ kind: "batchNorm", epsilon: 1e-3 }], mode: "eval" }));
const COMPARISONS: Comparison[] = [...FORWARD, ...BATCH_NORM_TRAIN, ...BATCH_NORM_EVAL];

beforeAll(async () => {
  await initWasm();
  const requests = COMPARISONS.map((c) => prepare(c));
  const answers = torchForwardAll(requests);
  for (const [i, c] of COMPARISONS.entries()) oracle.set(c, { request: requests[i]!, want: answers[i]! });
});

describe("forward parity with PyTorch", () => {
  it.each(FORWARD)("$name", (comparison) => {
    const { got, want } = compare(comparison);
    expect(maxRelDiff(got, want)).toBeLessThan(TOLERANCE);
  });

  it.each(BATCH_NORM_TRAIN)("batchNorm train mode on $name input: output and running stats", (comparison) => {
    const { got, want, states, wantStates } = compare(comparison);
    expect(maxRelDiff(got, want)).toBeLessThan(TOLERANCE);
    expect(maxRelDiff(states[0]!.running_mean!, wantStates[0]!.running_mean!)).toBeLessThan(TOLERANCE);
    expect(maxRelDiff(states[0]!.running_var!, wantStates[0]!.running_var!)).toBeLessThan(TOLERANCE);
  });

  it.each(BATCH_NORM_EVAL)(
    "batchNorm eval mode on $name input uses the running stats and returns them unchanged",
    (comparison) => {
      const { got, want, states, wantStates } = compare(comparison);
      expect(maxRelDiff(got, want)).toBeLessThan(TOLERANCE);
      expect(maxRelDiff(states[0]!.running_var!, wantStates[0]!.running_var!)).toBe(0);
    },
  );
});
