import { z } from "zod";

/** Files of a run folder served as they are. */
export const RUN_FILE_NAMES = [
  "weights.safetensors",
  "metrics.csv",
  "metrics.json",
  "events.jsonl",
  "normalization.json",
  "config.json",
  "run.json",
  "test.json",
  "weights.best.safetensors",
  "report.html",
  // The resume point (weights + optimizer state + progress) of a server run, listed in its done event.
  "optimizer.safetensors",
] as const;
/** Drawn on request from metrics.json: the run's loss and accuracy per epoch. */
export const CURVES_FILE_NAME = "curves.png";
/** Exports made on request from the run's current checkpoint. */
export const EXPORT_FILE_NAMES = ["model.py", "model.pt", "model.onnx", "spec.json", "export.safetensors"] as const;
/** Files a browser run may upload. */
export const UPLOADABLE_FILE_NAMES = [
  "weights.safetensors",
  "metrics.json",
  "metrics.csv",
  "normalization.json",
  "test.json",
  // Its resume point at each epoch's end (the runner's layout), from which an interrupted or aborted run continues.
  "optimizer.safetensors",
] as const;

/** Every artifact name. */
export const ArtifactName = z.enum([...RUN_FILE_NAMES, CURVES_FILE_NAME, ...EXPORT_FILE_NAMES]);
export type ArtifactName = z.infer<typeof ArtifactName>;

/** `:id/:name` of the artifact routes; the name is checked by the route so an unknown one is answered with the list. */
export const ArtifactParams = z.object({
  id: z.string().max(64),
  name: z
    .string()
    .max(64)
    .meta({ description: `One of ${ArtifactName.options.join(", ")}` }),
});

/** 201 of PUT /api/runs/:id/artifacts/:name. */
export const ArtifactUploaded = z.object({ name: z.string(), bytes: z.number().int() });
export type ArtifactUploaded = z.infer<typeof ArtifactUploaded>;
