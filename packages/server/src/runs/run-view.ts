import type { RunRow } from "../db/schema";

/** A run as the API shows it. */
export interface RunView {
  id: string;
  name: string;
  status: RunRow["status"];
  executor: RunRow["executor"];
  tags: string[];
  notes: string;
  dataset: string;
  fingerprint: string;
  modelKind: string;
  optimizer: string;
  batchSize: number;
  epochs: number;
  learningRate: number;
  dropout: number;
  hiddenUnits: string;
  epochsDone: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  metrics: {
    trainLoss: number | null;
    trainAccuracy: number | null;
    valLoss: number | null;
    valAccuracy: number | null;
    testLoss: number | null;
    testAccuracy: number | null;
  };
  error: string | null;
  /** 1-based place among waiting server jobs; 0 while training; null otherwise. */
  queuePosition: number | null;
  spec: unknown;
  config: unknown;
}

/** Maps a registry row to the API's run object. */
export function runView(row: RunRow, queuePosition: number | null): RunView {
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
    spec: JSON.parse(row.spec),
    config: JSON.parse(row.config),
  };
}
