import { numpy as np } from "@jax-js/jax";
import { noVars } from "./init";
import type { LayerImpl } from "./types";

/**
 * Joins the outputs of several layers: `add` sums them (a residual connection), `concat` joins them along
 * axis 1, the channels of `[N, C, H, W]` images or the features of `[N, F]` vectors, as `torch.cat(dim=1)`.
 * Consumes every array of `xs`.
 */
export function merge(kind: "add" | "concat", xs: np.Array[]): np.Array {
  if (kind === "concat") return np.concatenate(xs, 1);
  let sum = xs[0]!;
  for (const x of xs.slice(1)) sum = sum.add(x);
  return sum;
}

/**
 * The registry's view of a merge, as given one input (which passes through). The model applies merges
 * over all their inputs with `merge`, since a layer's `apply` takes one.
 */
function mergeImpl<K extends "add" | "concat">(kind: K): LayerImpl<K> {
  return {
    kind,
    init: (_layer, _inShape, key) => noVars(key),
    apply: (_layer, vars, x, ctx) => {
      ctx.key?.dispose();
      return { y: x, state: vars.state };
    },
    outShape: (_layer, inShape) => inShape,
  };
}

export const add = mergeImpl("add");
export const concat = mergeImpl("concat");
