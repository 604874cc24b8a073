import { z } from "zod";

/** Where a run's per-image test predictions came from. */
export const TestPredictionsSource = z.enum(["recorded", "evaluated"]).meta({
  description:
    '"recorded": the run\'s test.json holds them; "evaluated": the run predates per-image predictions, so the server evaluated its saved weights on the test split now (and, when the run has a test.json, added them to it)',
});
export type TestPredictionsSource = z.infer<typeof TestPredictionsSource>;

/** GET /api/runs/:id/test-predictions: the predicted class of every test image, in the test split's order. */
export const TestPredictions = z.object({
  runId: z.string(),
  /** The dataset whose test split was predicted (GET /api/datasets/:id/data?split=test serves its images). */
  dataset: z.string(),
  classes: z.array(z.string()),
  /** Test images predicted. */
  count: z.number().int(),
  predictions: z.array(z.number().int().min(0)).meta({ description: "Class index of each test image, in order" }),
  source: TestPredictionsSource,
  /** The checkpoint a server evaluation used; null when the predictions were recorded. */
  checkpoint: z.string().nullable(),
});
export type TestPredictions = z.infer<typeof TestPredictions>;
