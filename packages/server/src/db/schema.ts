import type { Insertable, Selectable, Updateable } from "kysely";

/*
 * The registry's tables as Kysely sees them. JSON columns are text (portable
 * to PostgreSQL's text or jsonb); times are milliseconds since the epoch.
 */

/**
 * Where a run trains: on the server's queue, in a browser, or elsewhere and
 * imported finished (`import`). The column is plain text, so a new value needs no migration.
 */
export type Executor = "server" | "browser" | "import";

/** A run's life: queued → running → succeeded | failed | aborted | diverged | interrupted (DESIGN.md). */
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "aborted" | "diverged" | "interrupted";

/** Every run status, in life order. */
export const RUN_STATUSES: readonly RunStatus[] = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "aborted",
  "diverged",
  "interrupted",
];

export interface RunsTable {
  id: string;
  name: string;
  status: RunStatus;
  /** JSON array of strings. */
  tags: string;
  notes: string;
  /** JSON of the parsed ModelSpec. */
  spec: string;
  /** JSON of the parsed TrainingConfig. */
  config: string;
  fingerprint: string;
  /**
   * The fingerprint again for the one run that answers for it, null for a
   * copy made with `ifExists: "new"`. A unique index on it makes "one run per
   * fingerprint" the database's rule, not a check that two requests can race past.
   */
  fingerprint_slot: string | null;
  dataset: string;
  /** Train on the first N training samples only; null: all. */
  train_limit: number | null;
  executor: Executor;
  /** "mlp" when the model has no conv2d layer, else "cnn". */
  model_kind: string;
  optimizer: string;
  batch_size: number;
  epochs: number;
  /** Units of each dense layer before the output, comma-separated ("128,64"); "" when none. */
  hidden_units: string;
  /** Highest dropout rate in the model, 0 when none. */
  dropout: number;
  learning_rate: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  epochs_done: number;
  /** Seconds spent training, over every session of a resumed run; set by the done event. */
  train_seconds: number | null;
  train_loss: number | null;
  train_accuracy: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
  test_loss: number | null;
  test_accuracy: number | null;
  /** What went wrong, for a person, when the run failed or diverged. */
  error: string | null;
  /** The `layerlab worker` holding (or that last held) this server run; null: the server's own threads. */
  worker: string | null;
  /** The PostgreSQL job queue's open job for this server run (null on SQLite, or when none is open). */
  job: string | null;
  /**
   * The current claim on a server run queued in PostgreSQL: the job queue's
   * job id and its claim count. Uploads must carry it, so a worker whose
   * claim moved on to another can no longer write to the run.
   */
  lease: string | null;
  /** Why a user asked a worker-held run to stop; the worker hears it at its next heartbeat. */
  stop_reason: string | null;
  /** The sweep this run is a cell of; null for a run of its own. */
  sweep_id: string | null;
  /** The run's place in its sweep's grid (0-based, first axis slowest). */
  sweep_cell: number | null;
}

/** A sweep: runs that share a model, data and seed and differ only in the settings its plan names. */
export interface SweepsTable {
  id: string;
  name: string;
  /** JSON SweepPlan. */
  plan: string;
  dataset: string;
  executor: "server" | "browser";
  seed: number;
  /** The sentence saying what the runs share and what differs. */
  control: string;
  created_at: number;
}

/** A `layerlab worker` the server has heard from (PostgreSQL registry). */
export interface WorkersTable {
  name: string;
  slots: number;
  /** JSON array of the leases it reported at its last heartbeat. */
  leases: string;
  last_seen: number;
  first_seen: number;
}

export interface RunMetricsTable {
  run_id: string;
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  val_loss: number | null;
  val_accuracy: number | null;
  learning_rate: number;
  seconds: number;
}

export interface RunEventsTable {
  run_id: string;
  seq: number;
  type: string;
  time: number;
  /** The whole TrainEvent as JSON. */
  body: string;
}

export interface DatasetsTable {
  id: string;
  name: string;
  /** JSON [C, H, W]. */
  shape: string;
  /** JSON array of class names. */
  classes: string;
  train_count: number;
  test_count: number;
  /** JSON ImportReport. */
  report: string;
  bytes: number;
  created_at: number;
}

export interface ArtifactsTable {
  run_id: string;
  name: string;
  bytes: number;
  created_at: number;
}

/** The whole registry schema. */
export interface RegistrySchema {
  runs: RunsTable;
  run_metrics: RunMetricsTable;
  run_events: RunEventsTable;
  datasets: DatasetsTable;
  artifacts: ArtifactsTable;
  workers: WorkersTable;
  sweeps: SweepsTable;
}

export type RunRow = Selectable<RunsTable>;
/** A run row without its spec and config, as the run list reads it. */
export type RunSummaryRow = Omit<RunRow, "spec" | "config">;
export type NewRunRow = Insertable<RunsTable>;
export type RunRowUpdate = Updateable<RunsTable>;
export type DatasetRow = Selectable<DatasetsTable>;
export type SweepRow = Selectable<SweepsTable>;
