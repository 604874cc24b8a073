import { jit, nn, numpy as np } from "@jax-js/jax";
import type { Shape } from "@layerlab/spec";
import { refVars } from "./io/checkpoint";
import type { Model, ModelVars } from "./model";

/**
 * Eval-mode forward passes of one model for live use (the draw page, the
 * inside views), traced and compiled on their first call and reused by every
 * later one. Holds compiled programs, never arrays: `dispose()` frees them.
 */
export interface Predictor {
  /** Softmax probabilities `[n · classes]` of `n` normalised inputs `x` (`[n, ...input]`). Does not consume `vars`. */
  probabilities(vars: ModelVars, x: Float32Array, n: number): Promise<Float32Array>;
  /** Every layer's output for `n` normalised inputs `x`. Does not consume `vars`. */
  activations(vars: ModelVars, x: Float32Array, n: number): Promise<LayerActivation[]>;
  dispose(): void;
}

/** Wraps `model`'s eval-mode passes in `jit`; nothing is compiled until a pass is first called. */
export function createPredictor(model: Model): Predictor {
  const inShape = model.spec.input.shape;
  const size = inShape.reduce((a, b) => a * b, 1);
  const checkInput = (what: string, x: Float32Array, n: number) => {
    if (x.length !== n * size) {
      throw new Error(
        `${what}: expected ${n} inputs of ${inShape.join("×")} (${n * size} values), got ${x.length} values`,
      );
    }
  };
  const probs = jit((v: ModelVars, input: np.Array) => {
    const { logits, state } = model.apply(v, input, { mode: "eval" });
    for (const a of Object.values(state)) a.dispose();
    return nn.softmax(logits, -1);
  });
  // Compiled, even for one call: eager jax-js took 4.4× longer for a CNN on 128 images (bench/activations-cost.ts).
  const layers = jit((v: ModelVars, input: np.Array) => {
    const collected: np.Array[] = [];
    const { logits, state } = model.apply(v, input, { mode: "eval", collect: (_, y) => collected.push(y) });
    logits.dispose();
    for (const a of Object.values(state)) a.dispose();
    return collected;
  });
  return {
    async probabilities(vars, x, n) {
      checkInput("predict", x, n);
      const p = probs(refVars(vars), np.array(x, { shape: [n, ...inShape] })); // [n, classes]
      return (await p.data()) as Float32Array;
    },
    async activations(vars, x, n) {
      checkInput("activations", x, n);
      const outputs = layers(refVars(vars), np.array(x, { shape: [n, ...inShape] }));
      const result: LayerActivation[] = [];
      for (const [i, y] of outputs.entries()) {
        const shape = [...y.shape];
        result.push({ layer: i, kind: model.spec.layers[i]!.kind, shape, data: (await y.data()) as Float32Array });
      }
      return result;
    },
    dispose() {
      probs.dispose();
      layers.dispose();
    },
  };
}

/**
 * Softmax probabilities for `n` inputs `x` (`[n, ...input]`, already
 * normalised), batched so any `n` fits in memory. Returns `[n · classes]`.
 * Does not consume `vars`.
 */
export async function predict(
  model: Model,
  vars: ModelVars,
  x: Float32Array,
  n: number,
  opts: { batchSize?: number } = {},
): Promise<Float32Array> {
  const inShape = model.spec.input.shape;
  const size = inShape.reduce((a, b) => a * b, 1);
  if (x.length !== n * size) {
    throw new Error(
      `predict: expected ${n} inputs of ${inShape.join("×")} (${n * size} values), got ${x.length} values`,
    );
  }
  const classes = model.spec.classes.length;
  const batchSize = opts.batchSize ?? 256;
  const predictor = createPredictor(model);
  const out = new Float32Array(n * classes);
  try {
    for (let start = 0; start < n; start += batchSize) {
      const m = Math.min(batchSize, n - start);
      const batch = x.subarray(start * size, (start + m) * size);
      out.set(await predictor.probabilities(vars, batch, m), start * classes);
    }
  } finally {
    predictor.dispose();
  }
  return out;
}

/** One layer's output for the given inputs. */
export interface LayerActivation {
  /** Index of the layer in the spec. */
  layer: number;
  kind: string;
  /** Shape including the batch dimension. */
  shape: Shape;
  data: Float32Array;
}

/**
 * Every layer's output (eval mode) for `n` inputs, for the visualisations:
 * activations in 3D, feature maps, the doctor's dead-unit count. Does not
 * consume `vars`.
 */
export async function activations(
  model: Model,
  vars: ModelVars,
  x: Float32Array,
  n: number,
): Promise<LayerActivation[]> {
  const predictor = createPredictor(model);
  try {
    return await predictor.activations(vars, x, n);
  } finally {
    predictor.dispose();
  }
}
