import type uPlot from "uplot";
import { formatTicks } from "./ticks";

/** Tick values' font: the page's 12 px sans-serif. */
const TICK_FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
/** Axis titles' font. */
const TITLE_FONT = "600 12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
/** Tick mark length plus the gap to its label, in CSS pixels (uPlot's defaults). */
const TICK_AND_GAP = 10 + 5;
/** The narrowest y axis, so a chart with short labels still lines up with its neighbours. */
const MIN_Y_AXIS = 40;

/**
 * A theme colour read from the chart's element. A canvas cannot resolve
 * `var(--text)` itself (it keeps the previous colour), so uPlot gets the
 * value, read on every draw so a theme switch shows on the next frame.
 */
function themeColor(u: uPlot, name: string, fallback: string): string {
  return getComputedStyle(u.root).getPropertyValue(name).trim() || fallback;
}

/** Least distance in CSS pixels between two labelled ticks of a log axis (a 12 px label plus air). */
const MIN_LOG_TICK_GAP = 20;

/** Whether `v` is m·10^k for one of the mantissas `allowed`. */
function hasMantissa(v: number, allowed: readonly number[]): boolean {
  const mantissa = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
  return allowed.some((m) => Math.abs(mantissa - m) < 1e-6);
}

/**
 * Which ticks of a log axis get a label and a grid line: 1-2-5 of each decade
 * where they have room, else the decades, else every 2nd, 3rd… decade. uPlot's
 * own choice labels every decade of a 14-decade axis 10 px apart, so the
 * labels run into each other.
 */
export function logTicks(
  splits: readonly number[],
  position: (v: number) => number,
  minGap = MIN_LOG_TICK_GAP,
): (number | null)[] {
  const roomy = (kept: number[]) =>
    kept.every((v, i) => i === 0 || Math.abs(position(v) - position(kept[i - 1]!)) >= minGap);
  const positive = splits.filter((v) => v > 0);
  const oneTwoFive = positive.filter((v) => hasMantissa(v, [1, 2, 5]));
  if (roomy(oneTwoFive)) return splits.map((v) => (oneTwoFive.includes(v) ? v : null));
  const decades = positive.filter((v) => hasMantissa(v, [1]));
  // Within one decade there is no decade to fall back to: thin the 1-2-5 ticks instead.
  const base = decades.length >= 2 ? decades : oneTwoFive;
  let kept = base;
  for (let every = 2; !roomy(kept) && every <= base.length; every++) {
    // Counted from the top, so the largest tick always keeps its label.
    kept = base.filter((_, i) => (base.length - 1 - i) % every === 0);
  }
  const keep = new Set(kept);
  return splits.map((v) => (keep.has(v) ? v : null));
}

/** A y axis wide enough for its longest tick label (uPlot sizes it before drawing; too narrow clips "0.0025"). */
function yAxisSize(u: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
  const axis = u.axes[axisIdx]!;
  // Later sizing cycles reuse the first answer, so the plot settles instead of oscillating.
  if (cycleNum > 1) return (axis as { _size?: number })._size ?? MIN_Y_AXIS;
  const longest = (values ?? []).reduce((a, v) => (v != null && v.length > a.length ? v : a), "");
  u.ctx.font = TICK_FONT;
  const width = longest ? u.ctx.measureText(longest).width : 0;
  return Math.max(MIN_Y_AXIS, Math.ceil(TICK_AND_GAP + width + 4));
}

/** The two axes of a line chart: titled, in the theme's text colour, with tick labels that never repeat or clip. */
export function chartAxes(opts: { xLabel: string; yLabel: string; logY: boolean; xIncrs: number[] }): uPlot.Axis[] {
  const text = (u: uPlot) => themeColor(u, "--text", "#1b1f24");
  const grid = { stroke: (u: uPlot) => themeColor(u, "--grid", "#e7eaee"), width: 1 };
  const ticks = { stroke: (u: uPlot) => themeColor(u, "--border", "#d8dde3"), width: 1 };
  const logFilter: uPlot.Axis.Filter = (u, splits, axisIdx) =>
    logTicks(splits, (v) => u.valToPos(v, u.axes[axisIdx]!.scale ?? "y"));
  const yFilter = opts.logY ? { filter: logFilter } : {};
  return [
    {
      label: opts.xLabel,
      stroke: text,
      font: TICK_FONT,
      labelFont: TITLE_FONT,
      labelSize: 20,
      // Tick, gap and one 12 px line: uPlot's default 50 leaves the title adrift below the numbers.
      size: 34,
      grid,
      ticks,
      incrs: opts.xIncrs,
      values: (_u, splits) => formatTicks(splits),
    },
    {
      label: opts.yLabel,
      stroke: text,
      font: TICK_FONT,
      labelFont: TITLE_FONT,
      labelSize: 22,
      grid: { ...grid, ...yFilter },
      ticks: { ...ticks, ...yFilter },
      ...yFilter,
      size: yAxisSize,
      values: (_u, splits) => formatTicks(splits, { log: opts.logY }),
    },
  ];
}
