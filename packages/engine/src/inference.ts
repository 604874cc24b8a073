import { jit, nn, numpy as np } from "@jax-js/jax";
import type { Shape } from "@layerlab/spec";
import { refVars } from "./io/checkpoint";
import type { Model, ModelVars } from "./model";

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
  const forward = jit((v: ModelVars, input: np.Array) => {
    const { logits, state } = model.apply(v, input, { mode: "eval" });
    for (const a of Object.values(state)) a.dispose();
    return nn.softmax(logits, -1);
  });
  const out = new Float32Array(n * classes);
  try {
    for (let start = 0; start < n; start += batchSize) {
      const m = Math.min(batchSize, n - start);
      const batch = np.array(x.subarray(start * size, (start + m) * size), { shape: [m, ...inShape] });
      out.set((await forward(refVars(vars), batch).data()) as Float32Array, start * classes);
    }
  } finally {
    forward.dispose();
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
  const inShape = model.spec.input.shape;
  // Compiled, even for one call: eager jax-js took 4.4× longer for a CNN on 128 images (bench/activations-cost.ts).
  const forward = jit((v: ModelVars, input: np.Array) => {
    const collected: np.Array[] = [];
    const { logits, state } = model.apply(v, input, { mode: "eval", collect: (_, y) => collected.push(y) });
    logits.dispose();
    for (const a of Object.values(state)) a.dispose();
    return collected;
  });
  let outputs: np.Array[];
  try {
    outputs = forward(refVars(vars), np.array(x, { shape: [n, ...inShape] }));
  } finally {
    forward.dispose();
  }
  const result: LayerActivation[] = [];
  for (const [i, y] of outputs.entries()) {
    const shape = [...y.shape];
    result.push({ layer: i, kind: model.spec.layers[i]!.kind, shape, data: (await y.data()) as Float32Array });
  }
  return result;
}
