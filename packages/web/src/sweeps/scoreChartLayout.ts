import { formatSweepValue, type SweepValue } from "@layerlab/spec";
import { formatTicks } from "../charts/ticks";
import type { AxisScale } from "./sweepSettings";

/*
 * Where the marks of a sweep's score chart go: the final metric against one setting, one line per value of
 * the other. Pure arithmetic on pixels, so the page draws it as SVG and a test can check it without a browser.
 */

/** One line of the chart: a run's score at each value of the x setting (null: no result yet). */
export interface ScoreSeries {
  /** "adam" for a line per optimizer; null when the sweep has one setting. */
  label: string | null;
  points: { value: SweepValue; score: number | null }[];
}

/** What the chart shows. */
export interface ScoreChartInput {
  /** The x setting's values, in the sweep's order. */
  xValues: readonly SweepValue[];
  scale: AxisScale;
  series: readonly ScoreSeries[];
  width: number;
  height: number;
  /** A horizontal reference line (a k-fold's mean), as a fraction. */
  reference?: number | null;
}

/** A mark's place in pixels and what it stands for. */
export interface PlacedPoint {
  x: number;
  y: number;
  value: SweepValue;
  score: number;
}

/** The chart in pixels. */
export interface ScoreChartLayout {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  xTicks: { x: number; label: string }[];
  yTicks: { y: number; label: string }[];
  series: { label: string | null; color: string; points: PlacedPoint[] }[];
  reference: { y: number; label: string } | null;
}

/** Line colours, as the Compare page's. */
export const SERIES_COLORS = ["#2e86de", "#e4572e", "#27ae60", "#8e44ad", "#f39c12", "#16a085"] as const;

/** Average width of a 12 px tick label's character, in pixels (enough to keep labels apart). */
const CHAR_WIDTH = 7;
/** Room under the plot for tick labels and the axis title. */
const BOTTOM = 42;
const TOP = 10;
const RIGHT = 14;

/** A step of 1, 2 or 5 × 10^k near `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const m = rough / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/** The y range and ticks (fractions), about four ticks over the scores, never beyond 0 – 100 %. */
function yTicksOf(scores: readonly number[]): number[] {
  let lo = Math.min(...scores);
  let hi = Math.max(...scores);
  // A flat result still gets a readable band around it: 1 % either way.
  if (hi - lo < 0.02) {
    const mid = (hi + lo) / 2;
    lo = mid - 0.01;
    hi = mid + 0.01;
  }
  const step = niceStep((hi - lo) / 4);
  const first = Math.max(0, Math.floor(lo / step - 1e-9) * step);
  const last = Math.min(1, Math.ceil(hi / step + 1e-9) * step);
  const ticks: number[] = [];
  for (let v = first; v <= last + step / 1e6; v += step) ticks.push(Number(v.toFixed(10)));
  return ticks;
}

/** The x positions of the values as fractions of the plot's width (in the values' order). */
function xFractions(values: readonly SweepValue[], scale: AxisScale): number[] {
  const n = values.length;
  if (scale === "category") {
    // Numbers spread evenly keep their order of size; names keep the order they were given.
    const order = values.every((v) => typeof v === "number")
      ? [...values].sort((a, b) => (a as number) - (b as number))
      : [...values];
    return values.map((v) => (order.indexOf(v) + 0.5) / n);
  }
  const t = (v: SweepValue) => (scale === "log" ? Math.log10(v as number) : (v as number));
  const all = values.map(t);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo || 1;
  // A margin of 8 % each side keeps the end points off the axes.
  return all.map((v) => 0.08 + (0.84 * (v - lo)) / span);
}

/** The x tick labels: each value written short, in exponent form for tiny learning rates. */
function xLabels(values: readonly SweepValue[], scale: AxisScale): string[] {
  if (values.every((v) => typeof v === "number")) {
    return formatTicks(values as number[], { log: scale === "log" }).map((l, i) => l ?? String(values[i]));
  }
  return values.map(formatSweepValue);
}

/** Lays out the chart; a point without a score (a run still training, or failed) is left out of its line. */
export function layoutScoreChart(input: ScoreChartInput): ScoreChartLayout {
  const scores = input.series.flatMap((s) => s.points.flatMap((p) => (p.score === null ? [] : [p.score])));
  if (input.reference !== undefined && input.reference !== null) scores.push(input.reference);
  const yValues = yTicksOf(scores.length > 0 ? scores : [0, 1]);
  const yLabels = formatTicks(yValues.map((v) => v * 100)).map((l) => `${l}%`);
  const left = Math.max(...yLabels.map((l) => l.length)) * CHAR_WIDTH + 30;
  const plot = { left, top: TOP, right: input.width - RIGHT, bottom: input.height - BOTTOM };
  const yLo = yValues[0]!;
  const yHi = yValues[yValues.length - 1]!;
  const yOf = (v: number) => plot.bottom - ((v - yLo) / (yHi - yLo || 1)) * (plot.bottom - plot.top);
  const fractions = xFractions(input.xValues, input.scale);
  const xOf = (value: SweepValue) => {
    const i = input.xValues.indexOf(value);
    return plot.left + (fractions[i] ?? 0.5) * (plot.right - plot.left);
  };

  // Labels that would run into the one before are left out (the mark keeps its place).
  const labels = xLabels(input.xValues, input.scale);
  const placed = input.xValues.map((value, i) => ({ x: xOf(value), label: labels[i]! })).sort((a, b) => a.x - b.x);
  const xTicks: { x: number; label: string }[] = [];
  for (const tick of placed) {
    const previous = xTicks[xTicks.length - 1];
    const room = previous ? ((previous.label.length + tick.label.length) / 2) * CHAR_WIDTH + 8 : 0;
    if (!previous || tick.x - previous.x >= room) xTicks.push(tick);
  }

  return {
    width: input.width,
    height: input.height,
    plot,
    xTicks,
    yTicks: yValues.map((v, i) => ({ y: yOf(v), label: yLabels[i]! })),
    series: input.series.map((s, k) => ({
      label: s.label,
      color: SERIES_COLORS[k % SERIES_COLORS.length]!,
      points: s.points
        .filter((p): p is { value: SweepValue; score: number } => p.score !== null)
        .map((p) => ({ x: xOf(p.value), y: yOf(p.score), value: p.value, score: p.score }))
        .sort((a, b) => a.x - b.x),
    })),
    reference:
      input.reference === undefined || input.reference === null
        ? null
        : { y: yOf(input.reference), label: `mean ${(input.reference * 100).toFixed(1)}%` },
  };
}
