/** Per-epoch metrics of a run (metrics.json), written alike by server, CLI and browser runs; accuracies are fractions in [0, 1]. */
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

/** The per-epoch columns of metrics.csv, in order. */
export const METRICS_CSV_COLUMNS = [
  "epoch",
  "train_loss",
  "train_acc",
  "val_loss",
  "val_acc",
  "lr",
  "epoch_seconds",
] as const;

/** metrics.csv: a header and one row per epoch; an empty cell where there was no validation. */
export function metricsCsv(metrics: RunMetrics): string {
  const rows = metrics.epoch.map((_, i) => METRICS_CSV_COLUMNS.map((c) => (metrics[c][i] ?? "").toString()).join(","));
  return `${[METRICS_CSV_COLUMNS.join(","), ...rows].join("\n")}\n`;
}
