import type { RunView as ApiRunView, RunSummary } from "@layerlab/api";
import type { RunRow, RunSummaryRow } from "../db/schema";

/** A run as the run list shows it: everything but the spec and config (the API contract's RunSummary). */
export type RunSummaryView = RunSummary;

/** A run as the API shows it alone, with the spec and config it was created with. */
export type RunView = ApiRunView;

/** Maps a registry row to the API's run object. */
export function runView(row: RunRow, queuePosition: number | null): RunView {
  return { ...runSummaryView(row, queuePosition), spec: JSON.parse(row.spec), config: JSON.parse(row.config) };
}

/** Maps a registry row (with or without its spec) to a run list item. */
export function runSummaryView(row: RunSummaryRow, queuePosition: number | null): RunSummaryView {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    executor: row.executor,
    tags: JSON.parse(row.tags),
    notes: row.notes,
    dataset: row.dataset,
    fingerprint: row.fingerprint,
    modelKind: row.model_kind,
    optimizer: row.optimizer,
    batchSize: row.batch_size,
    epochs: row.epochs,
    learningRate: row.learning_rate,
    dropout: row.dropout,
    hiddenUnits: row.hidden_units,
    epochsDone: row.epochs_done,
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    trainSeconds: row.train_seconds ?? null,
    metrics: {
      trainLoss: row.train_loss,
      trainAccuracy: row.train_accuracy,
      valLoss: row.val_loss,
      valAccuracy: row.val_accuracy,
      testLoss: row.test_loss,
      testAccuracy: row.test_accuracy,
    },
    error: row.error,
    queuePosition,
    worker: row.worker ?? null,
  };
}
