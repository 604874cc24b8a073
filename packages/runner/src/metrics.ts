import type { RunMetrics, TrainEventOf } from "@layerlab/spec";

export { metricsCsv, type RunMetrics } from "@layerlab/spec";

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
