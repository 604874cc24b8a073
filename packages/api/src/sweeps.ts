import { SweepPlan, SweepValue } from "@layerlab/spec";
import { z } from "zod";
import { CreateRunBody, RunSummary } from "./runs";

/**
 * POST /api/sweeps: the fields of a run that every run of the sweep shares, and what to vary: a plan of one
 * or two settings, or `folds` for a k-fold cross-validation.
 */
export const CreateSweepBody = CreateRunBody.omit({ ifExists: true })
  .extend({
    plan: SweepPlan.optional().meta({ description: "One or two config settings and their values" }),
    folds: z.number().int().min(2).max(10).optional().meta({ description: "k of a k-fold cross-validation" }),
  })
  .refine((b) => (b.plan === undefined) !== (b.folds === undefined), {
    message: "send either plan (the settings to vary) or folds (a k-fold cross-validation), not both or neither",
    path: ["plan"],
  });
export type CreateSweepBody = z.infer<typeof CreateSweepBody>;

/** A sweep's run: the run as the list shows it, and its place in the grid. */
export const SweepRun = z.object({
  cell: z.number().int(),
  label: z.string(),
  values: z.array(SweepValue),
  /** Test accuracy where there is one, else the final validation accuracy; null until it ends. */
  score: z.number().nullable(),
  run: RunSummary,
});
export type SweepRun = z.infer<typeof SweepRun>;

/** A sweep as a list shows it. */
export const SweepSummary = z.object({
  id: z.string(),
  name: z.string(),
  plan: SweepPlan,
  dataset: z.string(),
  executor: z.enum(["server", "browser"]),
  seed: z.number().int(),
  /** What every run shares and what differs, in one sentence. */
  control: z.string(),
  createdAt: z.number(),
  /** Runs by status: `{succeeded: 4, queued: 2}`. */
  counts: z.record(z.string(), z.number().int()),
  kind: z.enum(["grid", "kfold"]),
});
export type SweepSummary = z.infer<typeof SweepSummary>;

/** GET /api/sweeps/:id: the sweep, its runs in grid order, and what they say. */
export const SweepView = SweepSummary.extend({
  runs: z.array(SweepRun),
  /** Per axis: the mean score at each of its values, and their spread. */
  effects: z.array(
    z.object({ field: z.string(), means: z.array(z.number().nullable()), spread: z.number().nullable() }),
  ),
  findings: z.array(z.string()),
  /** For a k-fold: each fold's final validation accuracy and their mean ± std. */
  kfold: z
    .object({
      perFold: z.array(z.number().nullable()),
      mean: z.number().nullable(),
      std: z.number().nullable(),
      text: z.string(),
    })
    .nullable(),
});
export type SweepView = z.infer<typeof SweepView>;

export const SweepList = z.object({ sweeps: z.array(SweepSummary) });
export type SweepList = z.infer<typeof SweepList>;

export const SweepIdParams = z.object({ id: z.string().regex(/^[a-z0-9-]{1,64}$/, "not a sweep id") });
