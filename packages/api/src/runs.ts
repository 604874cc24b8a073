import {
  LEARNING_RATE_RANGE_NAMES,
  type ModelSpec,
  ModelSpec as ModelSpecSchema,
  type TrainingConfig,
  TrainingConfig as TrainingConfigSchema,
} from "@layerlab/spec";
import { z } from "zod";
import { Executor, RunStatus } from "./common";

const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A stored spec or config as the server sends it. Typed, but checked only as an object on the wire:
 * the spec's own schema fills defaults on parse, which the server must not re-apply to what it stored.
 */
const StoredSpec = z
  .custom<ModelSpec>(isObject, "the spec is a JSON object")
  .meta({ description: "The ModelSpec the run was created with (see @layerlab/spec)" });
const StoredConfig = z
  .custom<TrainingConfig>(isObject, "the config is a JSON object")
  .meta({ description: "The TrainingConfig the run was created with (see @layerlab/spec)" });

/** The latest metrics of a run; null until the run has reported them. */
export const RunMetrics = z.object({
  trainLoss: z.number().nullable(),
  trainAccuracy: z.number().nullable(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  testLoss: z.number().nullable(),
  testAccuracy: z.number().nullable(),
});

/** A run as the run list shows it: everything but the spec and config. */
export const RunSummary = z.object({
  id: z.string(),
  name: z.string(),
  status: RunStatus,
  executor: Executor,
  tags: z.array(z.string()),
  notes: z.string(),
  dataset: z.string(),
  fingerprint: z.string(),
  modelKind: z.string().meta({ description: '"mlp" without a conv2d layer, else "cnn"' }),
  optimizer: z.string(),
  batchSize: z.number(),
  epochs: z.number(),
  learningRate: z.number(),
  dropout: z.number().meta({ description: "Highest dropout rate in the model, 0 when none" }),
  hiddenUnits: z
    .string()
    .meta({ description: 'Units of each dense layer before the output, comma-separated ("128,64")' }),
  epochsDone: z.number(),
  createdAt: z.number().meta({ description: "Milliseconds since the Unix epoch" }),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  /** Seconds spent training over every session (a resumed run's too); null until the run is done. */
  trainSeconds: z.number().nullable(),
  metrics: RunMetrics,
  error: z.string().nullable(),
  queuePosition: z
    .number()
    .nullable()
    .meta({ description: "1-based place among waiting server jobs; 0 while training; null otherwise" }),
  worker: z.string().nullable().meta({
    description: "The `layerlab worker` that trains (or last trained) this server run; null: the server itself",
  }),
});
export type RunSummary = z.infer<typeof RunSummary>;

/** A run with the spec and config it was created with: the answer of create, patch, abort and resume. */
export const RunView = RunSummary.extend({ spec: StoredSpec, config: StoredConfig });
export type RunView = z.infer<typeof RunView>;

/** One finished epoch as the registry stores it. */
export const EpochMetricsRow = z.object({
  epoch: z.number(),
  train_loss: z.number(),
  train_accuracy: z.number(),
  val_loss: z.number().nullable(),
  val_accuracy: z.number().nullable(),
  learning_rate: z.number(),
  seconds: z.number(),
});

/** GET /api/runs/:id: the run, its per-epoch metrics and the artifacts it has uploaded or written. */
export const RunDetail = RunView.extend({
  epochMetrics: z.array(EpochMetricsRow),
  artifacts: z.array(z.object({ name: z.string(), bytes: z.number() })),
});
export type RunDetail = z.infer<typeof RunDetail>;

/** Parses a run's stored spec and config with their own schemas (defaults filled), for code that trains or draws them. */
export function parseRunModel(run: RunView): { spec: ModelSpec; config: TrainingConfig } {
  return { spec: ModelSpecSchema.parse(run.spec), config: TrainingConfigSchema.parse(run.config) };
}

/** What to do when a run with the same model, config and dataset exists. */
export const IfExists = z.enum(["reuse", "overwrite", "new"]);
export type IfExists = z.infer<typeof IfExists>;

/** POST /api/runs. The spec and config are checked by the server with @layerlab/spec's schemas, naming each problem. */
export const CreateRunBody = z.object({
  spec: z.record(z.string(), z.unknown()).optional().meta({ description: "A ModelSpec; or send template" }),
  template: z
    .union([z.string(), z.object({ id: z.string(), options: z.record(z.string(), z.unknown()).optional() })])
    .optional()
    .meta({ description: 'A template id ("mlp", "cnn", …) or {id, options}; or send spec' }),
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: "A TrainingConfig; defaults fill the rest" }),
  dataset: z.string().min(1).max(128),
  executor: Executor,
  name: z.string().max(200).optional(),
  tags: z.array(z.string().max(64)).max(32).optional(),
  notes: z.string().max(10_000).optional(),
  ifExists: IfExists.optional().meta({
    description:
      'Without it a duplicate is answered 409 with the existing run under `run`; "reuse" answers that run (200) and creates nothing',
  }),
  limit: z.number().int().min(1).optional().meta({ description: "Train on the first N training samples only" }),
});
export type CreateRunBody = z.infer<typeof CreateRunBody>;

/** 409 of POST /api/runs for a duplicate: the existing run, to reuse, overwrite or copy. */
export const DuplicateRunBody = z.object({ error: z.string(), run: RunView });
export type DuplicateRunBody = z.infer<typeof DuplicateRunBody>;

/** Fields runs can be sorted by. */
export const RUN_SORT_KEYS = [
  "createdAt",
  "name",
  "status",
  "dataset",
  "executor",
  "optimizer",
  "batchSize",
  "epochs",
  "learningRate",
  "testAccuracy",
  "valAccuracy",
  "finishedAt",
] as const;
export const RunSortKey = z.enum(RUN_SORT_KEYS);
export type RunSortKey = z.infer<typeof RunSortKey>;

/** A query-string boolean: `true` or `false`. */
const queryBoolean = z.enum(["true", "false"]).transform((v) => v === "true");
/** A query-string number, given as text. */
const queryNumber = z.coerce.number<string>();

/** Filters of GET /api/runs and of /api/predict's config lookup. */
export const RunFilterQuery = z.object({
  status: z.string().optional().meta({ description: `One status or several, comma-separated` }),
  dataset: z.string().optional(),
  modelKind: z.string().optional(),
  optimizer: z.string().optional(),
  batchSize: queryNumber.pipe(z.number().int()).optional(),
  epochs: queryNumber.pipe(z.number().int()).optional(),
  dropout: queryBoolean.optional().meta({ description: "Whether the model has a dropout layer" }),
  hidden: z.string().optional().meta({ description: 'Hidden units, e.g. "128,64"' }),
  learningRate: z
    .enum(LEARNING_RATE_RANGE_NAMES)
    .optional()
    .meta({ description: "A named range of the shared learning-rate table" }),
  learningRateLow: queryNumber.optional(),
  learningRateHigh: queryNumber.optional(),
  executor: Executor.optional(),
  q: z.string().max(200).optional().meta({ description: "Free text, matched in names, notes and tags" }),
  tag: z.string().max(64).optional(),
});

/** GET /api/runs: filters, sorting and paging. */
export const RunListQuery = RunFilterQuery.extend({
  sort: RunSortKey.optional(),
  order: z.enum(["asc", "desc"]).optional(),
  limit: queryNumber.pipe(z.number().int().min(1).max(1000)).optional(),
  offset: queryNumber.pipe(z.number().int().min(0)).optional(),
});
/** The query as the server reads it (numbers and booleans, not text); the client writes each value as text. */
export type RunListQuery = z.output<typeof RunListQuery>;

/** One page of GET /api/runs; `total` counts every run the filter matches. */
export const RunPage = z.object({
  runs: z.array(RunSummary),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type RunPage = z.infer<typeof RunPage>;

/** PATCH /api/runs/:id: unknown fields are refused, not ignored. */
export const RunPatchBody = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  tags: z
    .array(z.string().min(1).max(64))
    .max(32)
    .optional()
    .meta({ description: '"baseline, walk" in one tag is two tags' }),
  notes: z.string().max(10_000).optional(),
});
export type RunPatchBody = z.infer<typeof RunPatchBody>;
