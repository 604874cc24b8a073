import type { TrainEventOf } from "@layerlab/spec";

/** Per-epoch metrics of a run (metrics.json); accuracies are fractions in [0, 1]. */
export interface RunMetrics {
  epoch: number[];
  train_loss: number[];
  train_acc: number[];
  val_loss: (number | null)[];
  val_acc: (number | null)[];
  lr: number[];
  epoch_seconds: number[];
  /** Set after the final evaluation on the test split. */
  test_loss: number | null;
  test_acc: number | null;
}

/** Metrics of a run that has not finished an epoch. */
export function emptyMetrics(): RunMetrics {
  return {
    epoch: [],
    train_loss: [],
    train_acc: [],
    val_loss: [],
    val_acc: [],
    lr: [],
    epoch_seconds: [],
    test_loss: null,
    test_acc: null,
  };
}

/** The metrics with one more epoch (does not change `metrics`). */
export function withEpoch(metrics: RunMetrics, e: TrainEventOf<"epoch">): RunMetrics {
  return {
    ...metrics,
    epoch: [...metrics.epoch, e.epoch],
    train_loss: [...metrics.train_loss, e.trainLoss],
    train_acc: [...metrics.train_acc, e.trainAccuracy],
    val_loss: [...metrics.val_loss, e.valLoss],
    val_acc: [...metrics.val_acc, e.valAccuracy],
    lr: [...metrics.lr, e.learningRate],
    epoch_seconds: [...metrics.epoch_seconds, e.seconds],
  };
}

const CSV_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "epoch_seconds"] as const;

/** metrics.csv: a header and one row per epoch (seed 000); an empty cell where there was no validation. */
export function metricsCsv(metrics: RunMetrics): string {
  const rows = metrics.epoch.map((_, i) => CSV_COLUMNS.map((c) => (metrics[c][i] ?? "").toString()).join(","));
  return `${[CSV_COLUMNS.join(","), ...rows].join("\n")}\n`;
}
