// Finite-difference gradient checks of every layer kind, in float64.
// jax-js Wasm does float64 arithmetic in float64, so for piecewise-linear
// layers central differences with eps = 1e-5 are exact up to round-off
// (~1e-16/eps ≈ 1e-11): 1e-6 is a tight bound. Its float64 exp/tanh/erf are
// only float32-accurate (errors δ ≈ 1e-7, measured), which puts noise of
// δ/(2·eps) into a difference quotient; for layers using them eps = 2e-3
// balances that noise (≈ 2.5e-5) against the truncation error eps²/6·|f'''|
// (≈ 1e-6), and the bound is 1e-4.
import { random } from "@jax-js/jax";
import { type LayerInput, normalizeActivation, type Shape } from "@layerlab/spec";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApplyContext } from "../src/layers/types";
import { float64Inputs, gradCheck, initWasm, layerOf } from "./layers.support";

const EXACT = { eps: 1e-5, tolerance: 1e-6 };
const TRANSCENDENTAL = { eps: 2e-3, tolerance: 1e-4 };
const TRANSCENDENTAL_FNS = new Set(["sigmoid", "tanh", "gelu", "elu"]);
function usesTranscendentals(layer: LayerInput): boolean {
  const act = layer.kind === "activation" ? layer.fn : "activation" in layer ? layer.activation : undefined;
  return act !== undefined && TRANSCENDENTAL_FNS.has(normalizeActivation(act).fn);
}

beforeAll(() => initWasm());

type Case = {
  name: string;
  layer: LayerInput;
  inShape: Shape;
  batch?: number;
  mode?: "train" | "eval";
  key?: boolean;
  /** The model's first layer: its input is data, and conv2d takes its gather-based path. */
  inputIsData?: boolean;
};

const CASES: Case[] = [
  { name: "dense + bias", layer: { kind: "dense", units: 4 }, inShape: [5] },
  { name: "dense, no bias, tanh", layer: { kind: "dense", units: 3, bias: false, activation: "tanh" }, inShape: [6] },
  { name: "conv2d valid 3×3", layer: { kind: "conv2d", filters: 3, kernel: 3 }, inShape: [2, 6, 5] },
  { name: "conv2d stride 2 valid", layer: { kind: "conv2d", filters: 2, kernel: 3, stride: 2 }, inShape: [2, 7, 8] },
  {
    name: "conv2d same, odd kernel",
    layer: { kind: "conv2d", filters: 2, kernel: 3, padding: "same" },
    inShape: [2, 5, 4],
  },
  {
    name: "conv2d same, even kernel",
    layer: { kind: "conv2d", filters: 2, kernel: 2, padding: "same" },
    inShape: [2, 5, 4],
  },
  {
    name: "conv2d same, stride 2, relu",
    layer: { kind: "conv2d", filters: 3, kernel: 4, stride: 2, padding: "same", activation: "relu" },
    inShape: [1, 7, 6],
  },
  {
    name: "conv2d on data (gather path), 3×3 on one channel",
    layer: { kind: "conv2d", filters: 3, kernel: 3 },
    inShape: [1, 6, 5],
    inputIsData: true,
  },
  {
    name: "conv2d on data (gather path), same, stride 2, relu",
    layer: { kind: "conv2d", filters: 2, kernel: 3, stride: 2, padding: "same", activation: "relu" },
    inShape: [3, 7, 6],
    inputIsData: true,
  },
  { name: "maxPool2d 2/2", layer: { kind: "maxPool2d", size: 2 }, inShape: [2, 5, 4] },
  { name: "maxPool2d size 3 stride 2", layer: { kind: "maxPool2d", size: 3, stride: 2 }, inShape: [2, 7, 6] },
  { name: "avgPool2d size 3 stride 1", layer: { kind: "avgPool2d", size: 3, stride: 1 }, inShape: [2, 5, 4] },
  { name: "avgPool2d 2/2 odd input", layer: { kind: "avgPool2d", size: 2 }, inShape: [2, 5, 5] },
  { name: "globalAvgPool", layer: { kind: "globalAvgPool" }, inShape: [3, 4, 5] },
  { name: "batchNorm train 2-D", layer: { kind: "batchNorm" }, inShape: [4], batch: 5, mode: "train" },
  { name: "batchNorm train 4-D", layer: { kind: "batchNorm", momentum: 0.3 }, inShape: [3, 3, 2], mode: "train" },
  { name: "batchNorm eval 4-D", layer: { kind: "batchNorm" }, inShape: [3, 3, 2], mode: "eval" },
  { name: "dropout train", layer: { kind: "dropout", rate: 0.4 }, inShape: [12], mode: "train", key: true },
  { name: "dropout eval", layer: { kind: "dropout", rate: 0.4 }, inShape: [12], mode: "eval" },
  { name: "flatten", layer: { kind: "flatten" }, inShape: [2, 3, 2] },
  ...(["relu", "sigmoid", "tanh", "gelu", "elu", "leakyRelu"] as const).map(
    (fn): Case => ({ name: `activation ${fn}`, layer: { kind: "activation", fn }, inShape: [3, 4] }),
  ),
  { name: "activation leakyRelu(0.2)", layer: { kind: "activation", fn: "leakyRelu", alpha: 0.2 }, inShape: [10] },
  { name: "activation elu(0.7)", layer: { kind: "activation", fn: "elu", alpha: 0.7 }, inShape: [10] },
  {
    name: "dense with fused elu(1.5)",
    layer: { kind: "dense", units: 3, activation: { fn: "elu", alpha: 1.5 } },
    inShape: [4],
  },
];

describe("layer gradients agree with central finite differences (float64)", () => {
  it.each(CASES)("$name", ({ layer: input, inShape, batch = 3, mode = "train", key, inputIsData }) => {
    const layer = layerOf(input);
    const { inputs, state } = float64Inputs(layer, batch, inShape, 11);
    const ctx = (): ApplyContext => ({ mode, ...(key && { key: random.key(7) }), ...(inputIsData && { inputIsData }) });
    const { eps, tolerance } = usesTranscendentals(input) ? TRANSCENDENTAL : EXACT;
    const worst = gradCheck(layer, inputs, state, ctx, { eps, eager: key === true });
    expect(worst).toBeLessThan(tolerance);
  });
});
