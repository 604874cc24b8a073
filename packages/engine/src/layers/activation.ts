import { lax, nn, numpy as np } from "@jax-js/jax";
import { type Activation, type ActivationName, normalizeActivation } from "@layerlab/spec";
import { noVars } from "./init";
import type { LayerImpl } from "./types";

type ActivationFn = (x: np.Array, alpha: number) => np.Array;

/** Elementwise activations by name, as PyTorch defines them. Each consumes `x`. */
export const ACTIVATIONS: Record<ActivationName, ActivationFn> = {
  relu: (x) => nn.relu(x),
  leakyRelu: (x, alpha) => nn.leakyRelu(x, alpha),
  // NOTE: exp only sees x ≤ 0, so the unused branch never overflows into a NaN gradient.
  elu: (x, alpha) => np.where(x.ref.greater(0), x.ref, np.expm1(np.minimum(x, 0)).mul(alpha)),
  // PyTorch's nn.GELU() default is the exact form x·Φ(x), not the tanh approximation.
  gelu: (x) => x.ref.mul(lax.erfc(x.mul(-Math.SQRT1_2))).mul(0.5),
  sigmoid: (x) => nn.sigmoid(x),
  tanh: (x) => np.tanh(x),
};

/** Applies an activation given by name or `{fn, alpha}` (default alpha filled in); `undefined` is identity. Consumes `x`. */
export function activate(x: np.Array, activation: Activation | undefined): np.Array {
  if (activation === undefined) return x;
  const { fn, alpha } = normalizeActivation(activation);
  return ACTIVATIONS[fn](x, alpha ?? 0);
}

/** A standalone activation layer; shape-preserving. */
export const activationLayer: LayerImpl<"activation"> = {
  kind: "activation",
  init: (_layer, _inShape, key) => noVars(key),
  apply: (layer, vars, x, ctx) => {
    ctx.key?.dispose();
    const fn = layer.alpha === undefined ? layer.fn : { fn: layer.fn, alpha: layer.alpha };
    return { y: activate(x, fn), state: vars.state };
  },
  outShape: (_layer, inShape) => inShape,
};
