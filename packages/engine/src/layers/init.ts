import { numpy as np, random } from "@jax-js/jax";
import type { ArrayMap, LayerVars } from "./types";

/**
 * PyTorch's default for Linear and Conv2d weights and biases:
 * kaiming_uniform(a=√5) reduces to U(−1/√fan_in, 1/√fan_in), and the bias
 * uses the same bound. Consumes `key`.
 */
export function fanInUniform(key: np.Array, shape: number[], fanIn: number): np.Array {
  const bound = 1 / Math.sqrt(fanIn);
  return random.uniform(key, shape, { minval: -bound, maxval: bound });
}

/** `weight` (and `bias` [out] when asked) of a Linear or Conv2d layer, seeded as PyTorch. Consumes `key`. */
export function initWeightAndBias(key: np.Array, weightShape: number[], fanIn: number, withBias: boolean): ArrayMap {
  const keys = random.split(key, 2); // [2, 2]
  const params: ArrayMap = { weight: fanInUniform(keys.ref.slice(0), weightShape, fanIn) };
  if (withBias) params.bias = fanInUniform(keys.ref.slice(1), [weightShape[0]!], fanIn);
  keys.dispose();
  return params;
}

/** The variables of a layer that has none. Consumes `key`. */
export function noVars(key: np.Array): LayerVars {
  key.dispose();
  return { params: {}, state: {} };
}

/** PyTorch's BatchNorm defaults: weight 1, bias 0, running_mean 0, running_var 1, all [features]. Consumes `key`. */
export function initBatchNorm(key: np.Array, features: number): LayerVars {
  key.dispose();
  return {
    params: { weight: np.ones([features]), bias: np.zeros([features]) },
    state: { running_mean: np.zeros([features]), running_var: np.ones([features]) },
  };
}

/** `params[name]`, or a readable error when a checkpoint or caller left it out. */
export function requireParam(params: ArrayMap, name: string, kind: string): np.Array {
  const arr = params[name];
  if (!arr)
    throw new Error(`${kind} layer is missing its '${name}' array; initialise the model or load a matching checkpoint`);
  return arr;
}
