import { numpy as np, random } from "@jax-js/jax";
import { noVars } from "./init";
import type { LayerImpl } from "./types";

/**
 * Inverted dropout: in train mode each unit is zeroed with probability `rate`
 * and the survivors are scaled by 1/(1−rate), so eval mode is the identity.
 */
export const dropout: LayerImpl<"dropout"> = {
  kind: "dropout",
  needsKey: true,
  init: (_layer, _inShape, key) => noVars(key),
  apply: (layer, { state }, x, ctx) => {
    if (ctx.mode === "eval" || layer.rate === 0) {
      ctx.key?.dispose();
      return { y: x, state };
    }
    if (!ctx.key) throw new Error("dropout in train mode needs a PRNG key; pass ctx.key (the model does this for you)");
    const keep = random.bernoulli(ctx.key, 1 - layer.rate, x.shape); // bool, same shape as x
    return { y: np.where(keep, x.mul(1 / (1 - layer.rate)), 0), state };
  },
  outShape: (_layer, inShape) => inShape,
};
