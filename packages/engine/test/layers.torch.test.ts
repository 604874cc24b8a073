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
  implOf,
  initWasm,
  layerOf,
  mapToPlain,
  maxRelDiff,
  type Plain,
  requireTorch,
  toPlain,
  torchForward,
  uniform,
} from "./layers.support";

const TOLERANCE = 1e-5;

beforeAll(async () => {
  requireTorch();
  await initWasm();
});

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

/** Runs layers in sequence in the engine and in PyTorch; returns both outputs and final states. */
function compare(inputs: LayerInput[], inShape: Shape, mode: "train" | "eval", batch = 3, seed = 5) {
  const layers = inputs.map(layerOf);
  const shapes: Shape[] = [inShape];
  for (const l of layers) shapes.push(implOf(l).outShape(l as never, shapes[shapes.length - 1]!));
  const vars = layers.map((l, i) => randomVars(l, shapes[i]!, seed + 10 * i));
  const x = uniform(seed + 1000, [batch, ...inShape], -2, 2);
  const plainVars = vars.map((v) => ({ params: mapToPlain(tree(v.params)), state: mapToPlain(tree(v.state)) }));
  const want = torchForward(layers, plainVars, toPlain(x.ref), mode);
  let h = x;
  const states: Record<string, Plain>[] = [];
  layers.forEach((l, i) => {
    const out = applyLayer(l, vars[i]!, h, { mode });
    h = out.y;
    states.push(mapToPlain(out.state));
  });
  return { got: toPlain(h), want: want.y, states, wantStates: want.state };
}
/** A map of fresh references to the same arrays. */
const tree = (m: ArrayMap): ArrayMap => Object.fromEntries(Object.entries(m).map(([k, a]) => [k, a.ref]));

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

describe("forward parity with PyTorch", () => {
  it.each(CASES)("$name", ({ layers, inShape }) => {
    const { got, want } = compare(layers, inShape, "eval");
    expect(maxRelDiff(got, want)).toBeLessThan(TOLERANCE);
  });

  it.each([
    { name: "2-D", inShape: [6], momentum: 0.1 },
    { name: "4-D", inShape: [3, 4, 5], momentum: 0.25 },
  ])("batchNorm train mode on $name input: output and running stats", ({ inShape, momentum }) => {
    const { got, want, states, wantStates } = compare([{ kind: "batchNorm", momentum }], inShape, "train", 4);
    expect(maxRelDiff(got, want)).toBeLessThan(TOLERANCE);
    expect(maxRelDiff(states[0]!.running_mean!, wantStates[0]!.running_mean!)).toBeLessThan(TOLERANCE);
    expect(maxRelDiff(states[0]!.running_var!, wantStates[0]!.running_var!)).toBeLessThan(TOLERANCE);
  });

  it.each([
    { name: "2-D", inShape: [6] },
    { name: "4-D", inShape: [3, 4, 5] },
  ])("batchNorm eval mode on $name input uses the running stats and returns them unchanged", ({ inShape }) => {
    const { got, want, states, wantStates } = compare([{ kind: "batchNorm", epsilon: 1e-3 }], inShape, "eval");
    expect(maxRelDiff(got, want)).toBeLessThan(TOLERANCE);
    expect(maxRelDiff(states[0]!.running_var!, wantStates[0]!.running_var!)).toBe(0);
  });
});
