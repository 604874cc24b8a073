import { numpy as np } from "@jax-js/jax";
import { activate } from "./activation";
import { showShape } from "./geometry";
import { initWeightAndBias, requireParam } from "./init";
import type { LayerImpl } from "./types";

/** Fully connected layer `y = act(x · weightᵀ + bias)`, as PyTorch's Linear; `weight` [out, in]. */
export const dense: LayerImpl<"dense"> = {
  kind: "dense",
  init: (layer, inShape, key) => {
    const inFeatures = featuresOf(inShape);
    return { params: initWeightAndBias(key, [layer.units, inFeatures], inFeatures, layer.bias), state: {} };
  },
  apply: (layer, { params, state }, x, ctx) => {
    ctx.key?.dispose();
    const weight = requireParam(params, "weight", "dense");
    let y = np.matmul(x, weight.transpose()); // [N, in] · [in, out] → [N, out]
    if (params.bias) y = y.add(params.bias); // [N, out] + [out]
    return { y: activate(y, layer.activation), state };
  },
  outShape: (layer, inShape) => {
    featuresOf(inShape);
    return [layer.units];
  },
};

/** The feature count of a `[F]` input; anything else needs a flatten first. */
function featuresOf(inShape: readonly number[]): number {
  if (inShape.length !== 1) {
    throw new Error(
      `dense needs a feature input [F] but gets ${showShape(inShape)}; add a flatten (or globalAvgPool) layer before it`,
    );
  }
  return inShape[0]!;
}
