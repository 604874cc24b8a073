import type { SweepValue } from "@layerlab/spec";
import { FOLD_FIELD, formatSweepValue } from "@layerlab/spec";
import type { SweepView } from "../api/client";
import type { ScoreSeries } from "./scoreChartLayout";
import { type AxisScale, axisScale } from "./sweepSettings";

/*
 * What a sweep's page draws, read off its view: which setting goes along the chart's x axis and which one
 * makes the lines, the best run, and the text of the headline. Pure, so the server's and this browser's
 * sweeps read alike.
 */

/** The score chart's data. */
export interface ScoreChartData {
  /** The setting along x. */
  xField: string;
  xValues: SweepValue[];
  scale: AxisScale;
  /** The setting whose values make one line each; null with one setting. */
  lineField: string | null;
  series: ScoreSeries[];
  /** What the y axis measures. */
  yLabel: string;
  /** A k-fold's mean, drawn as a reference line. */
  reference: number | null;
}

/** Which of two axes goes along x: a numeric one where the other names things (lines per optimizer read best). */
function xAxisIndex(view: SweepView): number {
  const axes = view.plan.axes;
  if (axes.length < 2) return 0;
  const numeric = axes.map((a) => a.values.every((v) => typeof v === "number"));
  return !numeric[0] && numeric[1] ? 1 : 0;
}

/** What the runs are ranked by: test accuracy when the finished runs have one, else the final validation accuracy (a k-fold's). */
export function scoreLabel(view: SweepView): string {
  if (view.kind === "kfold") return "final validation accuracy";
  const finished = view.runs.filter((r) => r.score !== null);
  return finished.length > 0 && finished.every((r) => r.run.metrics.testAccuracy === r.score)
    ? "test accuracy"
    : "final validation accuracy";
}

/** The chart of the final metric against each setting (for a k-fold: each fold's validation accuracy). */
export function scoreChartData(view: SweepView): ScoreChartData {
  const yLabel = scoreLabel(view);
  if (view.kind === "kfold" && view.kfold) {
    const xValues = view.kfold.perFold.map((_, f) => `fold ${f + 1}`);
    return {
      xField: FOLD_FIELD,
      xValues,
      scale: "category",
      lineField: null,
      series: [{ label: null, points: view.kfold.perFold.map((score, f) => ({ value: xValues[f]!, score })) }],
      yLabel,
      reference: view.kfold.mean,
    };
  }
  const k = xAxisIndex(view);
  const xAxis = view.plan.axes[k]!;
  const lineAxis = view.plan.axes.length > 1 ? view.plan.axes[1 - k]! : null;
  const same = (a: SweepValue | undefined, b: SweepValue) => a === b;
  const seriesFor = (lineValue: SweepValue | null): ScoreSeries => ({
    label: lineValue === null ? null : formatSweepValue(lineValue),
    points: xAxis.values.map((value) => {
      const run = view.runs.find(
        (r) => same(r.values[k], value) && (lineValue === null || same(r.values[1 - k], lineValue)),
      );
      return { value, score: run?.score ?? null };
    }),
  });
  return {
    xField: xAxis.field,
    xValues: [...xAxis.values],
    scale: axisScale(xAxis.values),
    lineField: lineAxis?.field ?? null,
    series: lineAxis ? lineAxis.values.map(seriesFor) : [seriesFor(null)],
    yLabel,
    reference: null,
  };
}

/** The index (in `view.runs`) of the best-scoring run, or null before any has a score. */
export function bestRunIndex(view: SweepView): number | null {
  let best: number | null = null;
  view.runs.forEach((r, i) => {
    if (r.score !== null && (best === null || r.score > view.runs[best]!.score!)) best = i;
  });
  return best;
}

/** Runs still to finish: queued or running. */
export function openRuns(view: SweepView): number {
  return view.runs.filter((r) => r.run.status === "queued" || r.run.status === "running").length;
}

/** "3 of 4 runs finished · 1 running": where the sweep stands. */
export function progressText(view: SweepView): string {
  const total = view.runs.length;
  const finished = view.runs.filter((r) => r.run.status !== "queued" && r.run.status !== "running").length;
  const running = view.runs.filter((r) => r.run.status === "running").length;
  const queued = total - finished - running;
  const parts = [`${finished} of ${total} runs finished`];
  if (running > 0) parts.push(`${running} training`);
  if (queued > 0) parts.push(`${queued} waiting`);
  return parts.join(" · ");
}

/** A fraction as the page prints scores: 97.1%. */
export function percent(x: number | null): string {
  return x === null ? "–" : `${(x * 100).toFixed(1)}%`;
}
