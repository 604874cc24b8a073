import { numpy as np, random } from "@jax-js/jax";
import { type LayerInput, type ModelSpec, ModelSpec as ModelSpecSchema, type Shape } from "@layerlab/spec";
import { convPool, fusesConvPool } from "./layers/convPool";
import { LAYERS } from "./layers/registry";
import type { ArrayMap, LayerImpl, Mode } from "./layers/types";

/**
 * All arrays of a model, keyed as PyTorch's `state_dict` of an `nn.Sequential`
 * whose modules are the spec's layers: `"0.weight"`, `"3.running_mean"`.
 * `params` are trained; `state` (batch-norm running statistics) is updated in
 * train mode and used in eval mode.
 */
export type ModelVars = { params: ArrayMap; state: ArrayMap };

/** Options of one forward pass. */
export interface ForwardOptions {
  mode: Mode;
  /** A PRNG key, consumed, required in train mode when the model has dropout. */
  key?: np.Array;
  /** Receives each layer's output (a new reference the callee owns), in order. */
  collect?: (layerIndex: number, y: np.Array) => void;
}

/** A model spec turned into pure functions over `ModelVars`. */
export interface Model {
  spec: ModelSpec;
  /** `shapes[i]` is layer i's input shape; `shapes[layers.length]` is the logits' shape. */
  shapes: Shape[];
  /** True when some layer draws random numbers in train mode. */
  needsKey: boolean;
  /** Seeded initialisation, as PyTorch's defaults. */
  init(seed: number): ModelVars;
  /** Forward pass of a batch `x` `[N, ...input]`. Consumes `vars` and `x`. */
  apply(vars: ModelVars, x: np.Array, opts: ForwardOptions): { logits: np.Array; state: ArrayMap };
}

function implOf(kind: string): LayerImpl<never> {
  const impl = (LAYERS as unknown as Record<string, LayerImpl<never>>)[kind];
  if (!impl) throw new Error(`the engine has no layer kind '${kind}'`);
  return impl;
}

/** Splits a flat `ModelVars` map into one map per layer index (names without the prefix). */
function byLayer(vars: ArrayMap, count: number): ArrayMap[] {
  const out: ArrayMap[] = Array.from({ length: count }, () => ({}));
  for (const [name, arr] of Object.entries(vars)) {
    const dot = name.indexOf(".");
    out[Number(name.slice(0, dot))]![name.slice(dot + 1)] = arr;
  }
  return out;
}

/** Builds a model from a spec (parsed or raw); throws if the spec is not valid. */
export function buildModel(input: ModelSpec | unknown): Model {
  const spec = ModelSpecSchema.parse(input);
  const layers = spec.layers as LayerInput[] as never[];
  const shapes: Shape[] = [spec.input.shape];
  for (const layer of spec.layers) {
    shapes.push(implOf(layer.kind).outShape(layer as never, shapes[shapes.length - 1]!));
  }
  const keyed = spec.layers.map((l) => Boolean(implOf(l.kind).needsKey) && !(l.kind === "dropout" && l.rate === 0));
  const needsKey = keyed.some(Boolean);

  return {
    spec,
    shapes,
    needsKey,
    init(seed) {
      const params: ArrayMap = {};
      const state: ArrayMap = {};
      const keys = random.split(random.key(seed), spec.layers.length + 1); // [L+1, 2]
      const perLayer = np.split(keys, spec.layers.length + 1, 0);
      spec.layers.forEach((layer, i) => {
        const vars = implOf(layer.kind).init(layer as never, shapes[i]!, perLayer[i]!.reshape([-1]));
        for (const [name, arr] of Object.entries(vars.params)) params[`${i}.${name}`] = arr;
        for (const [name, arr] of Object.entries(vars.state)) state[`${i}.${name}`] = arr;
      });
      perLayer[spec.layers.length]!.dispose();
      return { params, state };
    },
    apply(vars, x, opts) {
      const params = byLayer(vars.params, layers.length);
      const states = byLayer(vars.state, layers.length);
      const training = opts.mode === "train";
      const keyCount = keyed.filter(Boolean).length;
      let keys: np.Array[] = [];
      if (training && keyCount > 0) {
        if (!opts.key) throw new Error("train-mode forward of a model with dropout needs a PRNG key");
        keys = np.split(random.split(opts.key, keyCount), keyCount, 0).map((k) => k.reshape([-1]));
      } else {
        opts.key?.dispose();
      }
      const newState: ArrayMap = {};
      let h = x;
      // Each layer's output is needed when collected; otherwise a conv and the max pool after it run as one block.
      const fused = spec.layers.map((layer, i) => !opts.collect && fusesConvPool(layer, spec.layers[i + 1]));
      spec.layers.forEach((layer, i) => {
        if (fused[i]) {
          h = convPool(layer as never, spec.layers[i + 1] as never, params[i]!, h, i === 0);
          return;
        }
        if (i > 0 && fused[i - 1]) return; // the pool, done by the block
        const key = training && keyed[i] ? keys.shift() : undefined;
        const out = implOf(layer.kind).apply(layer as never, { params: params[i]!, state: states[i]! }, h, {
          mode: opts.mode,
          key,
          inputIsData: i === 0,
        });
        for (const [name, arr] of Object.entries(out.state)) newState[`${i}.${name}`] = arr;
        h = out.y;
        if (opts.collect) opts.collect(i, h.ref);
      });
      return { logits: h, state: newState };
    },
  };
}

/** Total number of trainable scalars. */
export function paramCount(vars: ModelVars): number {
  return Object.values(vars.params).reduce((n, a) => n + a.size, 0);
}
