import { EPOCH_VIEW_SAMPLES, EPOCH_VIEW_TEST_LIMIT } from "@layerlab/spec";
import { z } from "zod";

/*
 * The epoch scrubber's routes: which epochs of a run kept their weights, and
 * what the model of one of them answers — on the same few test images at every
 * epoch, and as a confusion matrix on the first test images.
 */

/** `:id/:epoch` of the per-epoch routes. */
export const EpochParams = z.object({
  id: z.string().max(64),
  epoch: z.coerce
    .number()
    .int()
    .min(1)
    .meta({ description: "An epoch the run kept (GET /api/runs/:id/epochs lists them), counted from 1" }),
});
export type EpochParams = z.infer<typeof EpochParams>;

/** The test images followed from epoch to epoch, with their pixels, so a page can show them without the whole split. */
export const EpochSamples = z.object({
  /** `[C, H, W]` of each image. */
  shape: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  indices: z
    .array(z.number().int().min(0))
    .meta({ description: "Indices into the test split: each class's first image in turn, then each one's second…" }),
  labels: z.array(z.number().int().min(0)),
  images: z.string().meta({
    description: `Base64 of the images' uint8 pixels, channels first, one after another (at most ${EPOCH_VIEW_SAMPLES})`,
  }),
});
export type EpochSamples = z.infer<typeof EpochSamples>;

/** GET /api/runs/:id/epochs: the epochs whose weights the run keeps, and what the scrubber shows for each. */
export const EpochCheckpointList = z.object({
  runId: z.string(),
  /** The run's keepEpochCheckpoints: how many it keeps at most. */
  keep: z.number().int().min(0),
  /** Epochs the run was configured to train. */
  planned: z.number().int().min(1),
  epochs: z.array(z.number().int().min(1)).meta({ description: "Epochs with weights, ascending" }),
  classes: z.array(z.string()),
  samples: EpochSamples,
  testCount: z.number().int().meta({ description: "Images in the dataset's test split" }),
  evaluated: z
    .number()
    .int()
    .meta({
      description: `Test images each epoch's confusion matrix counts: the first ${EPOCH_VIEW_TEST_LIMIT} at most`,
    }),
  /** How the run normalises pixels, for a page that runs an epoch's weights itself; null when not known yet. */
  normalization: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }).nullable(),
});
export type EpochCheckpointList = z.infer<typeof EpochCheckpointList>;

/** One followed test image at one epoch. */
export const EpochSamplePrediction = z.object({
  index: z.number().int().min(0),
  label: z.number().int().min(0),
  predicted: z.number().int().min(0),
  /** The predicted class's probability. */
  confidence: z.number(),
  probabilities: z.array(z.number()),
});
export type EpochSamplePrediction = z.infer<typeof EpochSamplePrediction>;

/** GET /api/runs/:id/epochs/:epoch: the model of that epoch on the followed images and on the first test images. */
export const EpochPredictions = z.object({
  runId: z.string(),
  epoch: z.number().int().min(1),
  samples: z.array(EpochSamplePrediction),
  /** `confusion[actual][predicted]` over the first `evaluated` test images. */
  confusion: z.array(z.array(z.number().int())),
  evaluated: z.number().int(),
  accuracy: z.number().nullable(),
  loss: z.number().nullable(),
});
export type EpochPredictions = z.infer<typeof EpochPredictions>;

/** What a model answered, as the engine's epochView gives it, in the contract's form (server and page alike). */
export function toEpochPredictions(input: {
  runId: string;
  epoch: number;
  sampleIndices: readonly number[];
  sampleLabels: ArrayLike<number>;
  /** `[samples · classes]` softmax probabilities. */
  sampleProbabilities: Float32Array;
  confusion: number[][];
  count: number;
  accuracy: number;
  loss: number;
}): EpochPredictions {
  const classes = input.confusion.length;
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  const samples = input.sampleIndices.map((index, k) => {
    const probabilities = Array.from(input.sampleProbabilities.subarray(k * classes, (k + 1) * classes));
    let predicted = 0;
    for (let c = 1; c < classes; c++) if (probabilities[c]! > probabilities[predicted]!) predicted = c;
    return { index, label: input.sampleLabels[k]!, predicted, confidence: probabilities[predicted]!, probabilities };
  });
  return {
    runId: input.runId,
    epoch: input.epoch,
    samples,
    confusion: input.confusion,
    evaluated: input.count,
    accuracy: finite(input.accuracy),
    loss: finite(input.loss),
  };
}
