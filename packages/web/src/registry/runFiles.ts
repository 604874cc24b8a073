import type { RunMetrics, TestReport } from "@layerlab/spec";
import type { RunSeries } from "../charts/series";
import type { RunResults } from "../train/trainer";

/*
 * A browser run's files in the formats a server run's folder has them, so the
 * registry, exports and reports read both alike: metrics.json and metrics.csv
 * with the runner's columns (per-epoch arrays, accuracies as fractions), and
 * test.json as the runner writes it.
 */

/** Reads NaN (the series' "no validation") as null, as the runner records it. */
const orNull = (v: number | undefined): number | null => (v === undefined || Number.isNaN(v) ? null : v);

/** metrics.json of a run from its event series and, once done, its test results. */
export function metricsOf(series: RunSeries, results: Pick<RunResults, "loss" | "accuracy"> | null): RunMetrics {
  const e = series.epoch;
  return {
    epoch: [...e.epoch],
    train_loss: [...e.trainLoss],
    train_acc: [...e.trainAccuracy],
    val_loss: e.valLoss.map(orNull),
    val_acc: e.valAccuracy.map(orNull),
    lr: e.learningRate.map((v) => orNull(v) ?? 0),
    epoch_seconds: [...e.seconds],
    test_loss: results?.loss ?? null,
    test_acc: results?.accuracy ?? null,
  };
}

/** test.json of a finished run: metrics, confusion[actual][predicted], per-class scores, every prediction, dead units. */
export function testReportOf(results: RunResults): TestReport {
  const classes = results.test.classes;
  return {
    loss: results.loss,
    accuracy: results.accuracy,
    count: results.predictions.length,
    classes,
    confusion: results.confusion,
    perClass: results.perClass.map((p, i) => ({ class: classes[i] ?? String(i), ...p })),
    predictions: Array.from(results.predictions),
    ...(results.deadUnits && { deadUnits: results.deadUnits }),
  };
}
