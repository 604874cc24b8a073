import { z } from "zod";

/** How an image is brought to the model's input: MNIST-style centring, or a plain resize. */
export const Preprocess = z.enum(["mnist", "resize"]);

/** JSON body of the predict routes (multipart with a `file` field is accepted too). */
export const PredictBody = z.looseObject({
  image: z.string().meta({ description: '"data:image/png;base64,…" or bare base64' }),
  preprocess: Preprocess.optional(),
});
export type PredictBody = z.infer<typeof PredictBody>;

/** A classification. */
export const Prediction = z.object({
  runId: z.string(),
  preprocess: Preprocess,
  classes: z.array(z.string()),
  probabilities: z.array(z.number()),
  top: z.array(z.object({ class: z.string(), probability: z.number() })),
});
export type Prediction = z.infer<typeof Prediction>;

/** POST /api/predict: also says how good the chosen run is. */
export const BestRunPrediction = Prediction.extend({ testAccuracy: z.number().nullable() });
export type BestRunPrediction = z.infer<typeof BestRunPrediction>;

/** 404 of POST /api/predict: no finished run matches; `trainUrl` opens the builder prefilled. */
export const NoModelBody = z.object({ error: z.string(), trainUrl: z.string() });
