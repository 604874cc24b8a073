// Shared helpers of the layer tests: arrays to and from plain JSON, the
// PyTorch oracle, and central finite differences in float64.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { grad, init, jit, numpy as np, random } from "@jax-js/jax";
import { Layer, type LayerInput, type Shape } from "@layerlab/spec";
import { LAYERS } from "../src/layers/registry";
import type { ApplyContext, ArrayMap, LayerImpl, LayerVars } from "../src/layers/types";

/** Flat data with its shape, the JSON form both sides of the PyTorch oracle speak. */
export type Plain = { shape: number[]; data: number[] };

let ready: Promise<unknown> | null = null;
/** Starts jax-js on Wasm once per test file. */
export function initWasm(): Promise<unknown> {
  ready ??= init("wasm");
  return ready;
}

/** A spec layer with its defaults filled in. */
export const layerOf = (input: LayerInput): Layer => Layer.parse(input);

/** The registry entry of a layer, typed loosely for table-driven tests. */
export const implOf = (layer: Layer): LayerImpl<never> => LAYERS[layer.kind] as unknown as LayerImpl<never>;

/** Runs one layer's `apply` (consumes `vars` and `x`). */
export function applyLayer(
  layer: Layer,
  vars: LayerVars,
  x: np.Array,
  ctx: ApplyContext,
): { y: np.Array; state: ArrayMap } {
  return implOf(layer).apply(layer as never, vars, x, ctx);
}

/** Uniform random float32 values in [lo, hi), seeded. */
export function uniform(seed: number, shape: number[], lo = -1, hi = 1): np.Array {
  return random.uniform(random.key(seed), shape, { minval: lo, maxval: hi });
}

/** Reads an array into plain JSON (consumes it). */
export function toPlain(a: np.Array): Plain {
  const shape = a.shape;
  return { shape, data: Array.from(a.astype(np.float32).dataSync() as Float32Array) };
}

/** Reads every array of a map into plain JSON (consumes them). */
export function mapToPlain(m: ArrayMap): Record<string, Plain> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, toPlain(v)]));
}

/** Float32 arrays from plain JSON. */
export function fromPlain(p: Plain): np.Array {
  return np.array(new Float32Array(p.data)).reshape(p.shape);
}

const ORACLE = fileURLToPath(new URL("./fixtures/torch_layers.py", import.meta.url));
const PYTHON = "/usr/bin/python3";

/** One pass for the PyTorch oracle: `layers` in sequence on `x`, with each layer's vars. */
export interface TorchForwardRequest {
  layers: Layer[];
  vars: { params: Record<string, Plain>; state: Record<string, Plain> }[];
  x: Plain;
  mode: "train" | "eval";
}

/** The oracle's output of a pass, and each layer's state after it (batch-norm running stats). */
export interface TorchForwardAnswer {
  y: Plain;
  state: Record<string, Plain>[];
}

/**
 * Runs every request in PyTorch (float64), in one Python process: importing
 * torch costs more than all the passes together. Fails loudly (never skips)
 * when PyTorch cannot run.
 */
export function torchForwardAll(requests: TorchForwardRequest[]): TorchForwardAnswer[] {
  const r = spawnSync(PYTHON, [ORACLE], {
    input: JSON.stringify(requests),
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) {
    throw new Error(`the PyTorch oracle (${PYTHON} with torch, required for the parity tests) failed: ${r.stderr}`);
  }
  const answers = JSON.parse(r.stdout) as TorchForwardAnswer[];
  if (answers.length !== requests.length) {
    throw new Error(`the PyTorch oracle answered ${answers.length} of ${requests.length} passes`);
  }
  return answers;
}

/** Largest |a − b| / (1 + |b|) over two equal-shaped plain arrays; throws on a shape mismatch. */
export function maxRelDiff(a: Plain, b: Plain): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape [${a.shape}] differs from [${b.shape}]`);
  let worst = 0;
  a.data.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - b.data[i]!) / (1 + Math.abs(b.data[i]!)));
  });
  return worst;
}

/** Inputs of a gradient check: the layer input and every parameter, all float64. */
export type GradInputs = { x: np.Array; params: ArrayMap };

/**
 * Compares jax-js's reverse-mode gradient of `sum(apply(x, params).y · r)` (r fixed random) with central
 * differences, for `x` and every parameter, on at most `perTensor` entries of each (chosen with a fixed
 * stride). Returns the worst |analytic − numeric| / (1 + |numeric|). Consumes `inputs` and `state`.
 *
 * The difference quotients take a hundred forward passes per layer. Run eagerly, each pass dispatches and
 * compiles every operation of the layer anew, and a bump built as `arange == idx` bakes its index into a
 * new kernel each time; so the passes run through one jit-compiled forward, and each bump is a one-hot
 * array uploaded as data, which keeps every pass on the same compiled kernels. Except with a PRNG key:
 * jax-js 0.1.25 turns a `random.key(seed)` made inside a jit trace into a different key ([seed, seed]
 * instead of [0, seed]), so a layer that draws random numbers runs eagerly.
 */
export function gradCheck(
  layer: Layer,
  inputs: GradInputs,
  state: ArrayMap,
  ctxFor: () => ApplyContext,
  { eps, perTensor = 24, eager = false }: { eps: number; perTensor?: number; eager?: boolean },
): number {
  const outShape = [inputs.x.shape[0]!, ...implOf(layer).outShape(layer as never, inputs.x.shape.slice(1))];
  const weights = uniform(99, outShape).astype(np.float64);
  const loss = (v: GradInputs, w: np.Array): np.Array => {
    const { y, state: next } = applyLayer(layer, { params: v.params, state: mapRef(state) }, v.x, ctxFor());
    for (const a of Object.values(next)) a.dispose();
    return y.mul(w).sum();
  };
  const analytic = grad(loss)(refInputs(inputs), weights.ref) as GradInputs;
  const forward = eager ? loss : jit(loss);
  const f = (v: GradInputs) => forward(v, weights.ref).item();

  let worst = 0;
  for (const name of ["x", ...Object.keys(inputs.params)]) {
    const get = (v: GradInputs) => (name === "x" ? v.x : v.params[name]!);
    const put = (v: GradInputs, a: np.Array): GradInputs =>
      name === "x" ? { ...v, x: a } : { ...v, params: { ...v.params, [name]: a } };
    const { size, shape } = get(inputs);
    const step = Math.max(1, Math.floor(size / perTensor));
    const analyticGrad = get(analytic).ref.reshape([-1]).dataSync();
    for (let idx = 0; idx < size; idx += step) {
      const oneHot = new Float32Array(size);
      oneHot[idx] = 1;
      const unit = np.array(oneHot).reshape(shape).astype(np.float64);
      const plus = f(put(refInputs(inputs), get(inputs).ref.add(unit.ref.mul(eps))));
      const minus = f(put(refInputs(inputs), get(inputs).ref.sub(unit.mul(eps))));
      const numeric = (plus - minus) / (2 * eps);
      worst = Math.max(worst, Math.abs(analyticGrad[idx]! - numeric) / (1 + Math.abs(numeric)));
    }
  }
  disposeInputs(analytic);
  disposeInputs(inputs);
  weights.dispose();
  for (const a of Object.values(state)) a.dispose();
  return worst;
}

function mapRef(m: ArrayMap): ArrayMap {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.ref]));
}
function refInputs(v: GradInputs): GradInputs {
  return { x: v.x.ref, params: mapRef(v.params) };
}
function disposeInputs(v: GradInputs): void {
  v.x.dispose();
  for (const a of Object.values(v.params)) a.dispose();
}

/** Float64 random inputs for a gradient check: `x` [N, ...inShape] and params shaped as the layer's init makes them. */
export function float64Inputs(
  layer: Layer,
  batch: number,
  inShape: Shape,
  seed: number,
): { inputs: GradInputs; state: ArrayMap } {
  const vars = implOf(layer).init(layer as never, inShape, random.key(seed));
  const params: ArrayMap = {};
  let s = seed + 1;
  for (const [name, p] of Object.entries(vars.params)) {
    params[name] = uniform(s++, p.shape, -1, 1).astype(np.float64);
    p.dispose();
  }
  const state: ArrayMap = {};
  for (const [name, a] of Object.entries(vars.state)) {
    // Non-trivial running statistics so eval mode is not the identity.
    state[name] = uniform(s++, a.shape, 0.5, 1.5).astype(np.float64);
    a.dispose();
  }
  const x = uniform(seed + 50, [batch, ...inShape], -1, 1).astype(np.float64);
  return { inputs: { x, params }, state };
}
