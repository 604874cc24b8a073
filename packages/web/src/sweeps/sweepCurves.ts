import type { RunDetail } from "../api/client";
import type { RunSeries } from "../charts/series";

/** One run's validation accuracy per epoch, as the sweep's overlaid curves draw it. */
export interface SweepCurve {
  runId: string;
  epoch: number[];
  valAccuracy: number[];
}

/** A registry run's curve, from its per-epoch metrics (NaN where an epoch had no validation). */
export function curveOfDetail(detail: RunDetail): SweepCurve {
  return {
    runId: detail.id,
    epoch: detail.epochMetrics.map((m) => m.epoch),
    valAccuracy: detail.epochMetrics.map((m) => m.val_accuracy ?? Number.NaN),
  };
}

/** A run's curve from the event series this page holds for it. */
export function curveOfSeries(runId: string, series: RunSeries): SweepCurve {
  return { runId, epoch: [...series.epoch.epoch], valAccuracy: [...series.epoch.valAccuracy] };
}
