import { gatherBatch, type ImageSet, type Normalization } from "@layerlab/data-core";
import { createEvaluator, type Evaluation, evaluate } from "./evaluate";
import type { Model, ModelVars } from "./model";

/** What the epoch scrubber shows of one checkpoint: its answers on a few test images and its test-set metrics. */
export interface EpochView {
  /** Softmax probabilities of each of `sampleIndices`' images, `[samples · classes]`. */
  sampleProbabilities: Float32Array;
  /** Loss, accuracy and confusion matrix on the first `limit` test images (no dead-unit sample). */
  evaluation: Evaluation;
}

/**
 * The probabilities `vars` gives the images at `sampleIndices` of `set`, and
 * its evaluation on the first `limit` images of `set`; one compiled evaluator
 * serves both. Does not consume `vars`.
 */
export async function epochView(
  model: Model,
  vars: ModelVars,
  set: ImageSet,
  opts: { normalization: Normalization; sampleIndices: readonly number[]; limit: number },
): Promise<EpochView> {
  const evaluator = createEvaluator(model);
  try {
    const count = Math.min(opts.limit, set.count);
    const evaluation = await evaluate(model, vars, set, {
      normalization: opts.normalization,
      indices: Uint32Array.from({ length: count }, (_, i) => i),
      evaluator,
      deadUnitSample: 0,
    });
    const n = opts.sampleIndices.length;
    const sampleProbabilities =
      n === 0
        ? new Float32Array(0)
        : await evaluator.probabilities(
            vars,
            gatherBatch(set, model.spec.input.shape, opts.sampleIndices, opts.normalization).x,
            n,
          );
    return { sampleProbabilities, evaluation };
  } finally {
    evaluator.dispose();
  }
}
