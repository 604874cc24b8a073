import {
  isKFold,
  kFoldResult,
  type RunMetrics,
  type SweepOutcome,
  summarizeSweep,
  sweepScore,
  type TrainingConfig,
} from "@layerlab/spec";
import type { RunSummary, SweepView } from "../api/client";
import { appendEvent, emptySeries, type RunSeries } from "../charts/series";
import { type StoredRun, storedRunSummary } from "../registry/localRunStore";
import { metricsOf } from "../registry/runFiles";
import type { LocalRun } from "../train/trainer";
import type { StoredSweep } from "./localSweepStore";
import { curveOfSeries, type SweepCurve } from "./sweepCurves";

/*
 * A sweep kept in this browser, read into the same view the server answers for its sweeps (scores, effects,
 * findings, the k-fold's mean ± std), so one page shows both. Runs this page trains now are read from the
 * trainer (live); the others from the run store.
 */

/** Statuses whose metrics a sweep reads (as the server does: a finished or diverged run). */
const SCORED = ["succeeded", "diverged"];

/** Series already folded, per stored record (a saved run is a new record, so a stale entry is never read). */
const folded = new WeakMap<StoredRun, RunSeries>();

/** A stored run's events folded into a series (the charts' form); thousands of batch events, so folded once. */
function seriesOfEvents(run: StoredRun): RunSeries {
  const held = folded.get(run);
  if (held) return held;
  const series = emptySeries();
  for (const e of run.events) appendEvent(series, e);
  folded.set(run, series);
  return series;
}

/** The status the sweep shows for a run: a run that never started is waiting, one whose page is gone was interrupted. */
function statusOf(stored: StoredRun, live: LocalRun | undefined, training: boolean): RunSummary["status"] {
  const end = live?.series.end;
  if (end)
    return end.type === "done" ? "succeeded" : end.type === "error" ? "failed" : (end.type as RunSummary["status"]);
  if (training) return live?.series.start ? "running" : "queued";
  if (stored.events.length === 0 && ["queued", "interrupted", "running"].includes(stored.status)) return "queued";
  return stored.status === "running" ? "interrupted" : stored.status;
}

/** The view and curves of local sweep `sweep`; `live` are the runs the page's trainer holds, `training` those it trains now. */
export function localSweepView(
  sweep: StoredSweep,
  stored: ReadonlyMap<string, StoredRun>,
  live: readonly LocalRun[],
  training: (id: string) => boolean,
): { view: SweepView; curves: SweepCurve[] } {
  const cells = sweep.runs.flatMap((cell, index) => {
    const run = stored.get(cell.id);
    if (!run) return [];
    const held = live.find((r) => r.id === cell.id && r.series.lastSeq >= 0);
    const series = held?.series ?? seriesOfEvents(run);
    const status = statusOf(run, held, training(cell.id));
    const results = held?.results ?? run.results;
    const done = series.end?.type === "done" ? series.end : null;
    const metrics: RunMetrics = {
      ...metricsOf(series, results),
      test_acc: results?.accuracy ?? done?.testAccuracy ?? null,
    };
    const summary: RunSummary = { ...storedRunSummary(run), status, epochsDone: series.epoch.epoch.length };
    summary.metrics = { ...summary.metrics, testAccuracy: metrics.test_acc };
    return [{ index, cell, run, summary, series, metrics: SCORED.includes(status) ? metrics : null }];
  });
  const outcomes: SweepOutcome[] = cells.map((c) => ({
    cell: { index: c.index, values: c.cell.values, label: c.cell.label, config: c.run.studio.config as TrainingConfig },
    score: sweepScore(c.metrics),
    diverged: c.summary.status === "diverged",
  }));
  const read = summarizeSweep(sweep.plan, outcomes);
  const counts: Record<string, number> = {};
  for (const c of cells) counts[c.summary.status] = (counts[c.summary.status] ?? 0) + 1;
  const view: SweepView = {
    id: sweep.id,
    name: sweep.name,
    plan: sweep.plan,
    dataset: sweep.dataset,
    executor: "browser",
    seed: sweep.seed,
    control: sweep.control,
    createdAt: sweep.createdAt,
    counts,
    kind: isKFold(sweep.plan) ? "kfold" : "grid",
    runs: cells.map((c, i) => ({
      cell: c.index,
      label: c.cell.label,
      values: c.cell.values,
      score: outcomes[i]!.score,
      run: c.summary,
    })),
    effects: read.effects,
    findings: read.findings,
    kfold: isKFold(sweep.plan) ? kFoldResult(cells.map((c) => c.metrics)) : null,
  };
  return { view, curves: cells.map((c) => curveOfSeries(c.run.id, c.series)) };
}
