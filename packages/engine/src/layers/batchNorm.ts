import { lax, numpy as np } from "@jax-js/jax";
import type { Shape } from "@layerlab/spec";
import { showShape } from "./geometry";
import { initBatchNorm, requireParam } from "./init";
import type { LayerImpl } from "./types";

/** Reduction axes and the broadcast shape of per-feature vectors for a [N, F] or [N, C, H, W] input. */
function layout(shape: readonly number[]): { axes: number[]; perFeature: number[] } {
  if (shape.length === 2) return { axes: [0], perFeature: [1, -1] };
  if (shape.length === 4) return { axes: [0, 2, 3], perFeature: [1, -1, 1, 1] };
  throw new Error(`batchNorm needs a [F] or [C, H, W] input but gets ${showShape(shape.slice(1))}`);
}

function featuresOf(inShape: Shape): number {
  layout([1, ...inShape]);
  return inShape[0]!;
}

/**
 * Batch normalisation as PyTorch's BatchNorm1d/2d: train mode normalises with
 * the batch's biased variance and updates the running estimates with the
 * unbiased one, `running = (1 − momentum)·running + momentum·batch`; eval mode
 * normalises with the running estimates.
 */
export const batchNorm: LayerImpl<"batchNorm"> = {
  kind: "batchNorm",
  init: (_layer, inShape, key) => initBatchNorm(key, featuresOf(inShape)),
  apply: (layer, { params, state }, x, ctx) => {
    ctx.key?.dispose();
    const { axes, perFeature } = layout(x.shape);
    const weight = requireParam(params, "weight", "batchNorm").reshape(perFeature);
    const bias = requireParam(params, "bias", "batchNorm").reshape(perFeature);
    const runningMean = requireParam(state, "running_mean", "batchNorm");
    const runningVar = requireParam(state, "running_var", "batchNorm");
    const scale = (inv: np.Array) => inv.mul(weight); // rsqrt(var + eps) · weight, [1, F, (1, 1)]
    if (ctx.mode === "eval") {
      const inv = np.reciprocal(np.sqrt(runningVar.ref.add(layer.epsilon))).reshape(perFeature);
      const y = x.sub(runningMean.ref.reshape(perFeature)).mul(scale(inv)).add(bias);
      return { y, state: { running_mean: runningMean, running_var: runningVar } };
    }
    const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
    if (count < 2) {
      throw new Error(
        `batchNorm in train mode needs more than one value per feature, but the batch has ${count}; use a batch size above 1`,
      );
    }
    const mean = x.ref.mean(axes, { keepdims: true }); // [1, F, (1, 1)]
    const centered = x.sub(mean.ref); // [N, F, (H, W)]
    const variance = np.square(centered.ref).mean(axes, { keepdims: true }); // biased, [1, F, (1, 1)]
    const inv = np.reciprocal(np.sqrt(variance.ref.add(layer.epsilon)));
    const y = centered.mul(scale(inv)).add(bias);
    const m = layer.momentum;
    const batchMean = lax.stopGradient(mean.reshape([-1])); // [F]
    const batchVar = lax.stopGradient(variance.reshape([-1])).mul(count / (count - 1)); // unbiased, [F]
    return {
      y,
      state: {
        running_mean: runningMean.mul(1 - m).add(batchMean.mul(m)),
        running_var: runningVar.mul(1 - m).add(batchVar.mul(m)),
      },
    };
  },
  outShape: (_layer, inShape) => {
    featuresOf(inShape);
    return inShape;
  },
};
