import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { chartAxes } from "./axes";
import { decimate } from "./series";

/** One line: its points (x ascending) and how it is drawn. */
export interface Line {
  label: string;
  x: readonly number[];
  y: readonly number[];
  color: string;
  dash?: boolean;
}

/** Points drawn per line at most; the rest are decimated (min/max per bucket). */
const BUCKETS = 600;

/** Joins lines with different x onto one sorted x axis, null where a line has no point (uPlot wants aligned columns). */
export function alignLines(lines: readonly Line[]): uPlot.AlignedData {
  const decimated = lines.map((l) => decimate(l.x, l.y, BUCKETS));
  const xs = [...new Set(decimated.flatMap(([x]) => x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = decimated.map(([x, y]) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    x.forEach((xi, i) => {
      const v = y[i]!;
      col[index.get(xi)!] = Number.isFinite(v) ? v : null;
    });
    return col;
  });
  return [xs, ...columns] as uPlot.AlignedData;
}

/** Aligned data with every non-positive y left out (a log axis cannot show it). */
function positiveOnly(data: uPlot.AlignedData): uPlot.AlignedData {
  const [x, ...ys] = data;
  return [
    x,
    ...ys.map((col) => (col as (number | null)[]).map((v) => (v !== null && v > 0 ? v : null))),
  ] as uPlot.AlignedData;
}

/** Tick spacings of the x axis: steps and epochs are counted, so never "epoch 1.2" (1, 2, 5, 10, 20, 50, … up to 5e9). */
const WHOLE_STEPS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3]! * 10 ** Math.floor(i / 3));

/**
 * Mirrors the tick labels just drawn on the canvas into `data-x-ticks` and
 * `data-y-ticks` ("|"-joined), the only place outside the pixels that says what the axes read.
 */
function showTickLabels(u: uPlot): void {
  const drawn = (i: number) =>
    ((u.axes[i] as { _values?: (string | null)[] })._values ?? []).filter((v) => v !== null).join("|");
  u.root.parentElement?.setAttribute("data-x-ticks", drawn(0));
  u.root.parentElement?.setAttribute("data-y-ticks", drawn(1));
}

/** A live line chart on uPlot; redraws only the data when `version` changes. */
export function LineChart(props: {
  title: string;
  lines: Line[];
  version: number;
  xLabel: string;
  /** The y axis title: what is measured ("loss", "gradient norm"). */
  yLabel: string;
  yRange?: [number, number] | null;
  /** A logarithmic y axis (values ≤ 0 are left out), for quantities spanning decades such as gradient norms. */
  logY?: boolean;
  height?: number;
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shapeKey = `${props.lines.map((l) => l.label).join("|")}:${props.yRange?.join(",") ?? ""}:${props.logY ?? false}:${props.yLabel}`;
  const data = () => (props.logY ? positiveOnly(alignLines(props.lines)) : alignLines(props.lines));

  // biome-ignore lint/correctness/useExhaustiveDependencies: the plot is rebuilt only when its series or axis range change; data updates go through setData below.
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = Math.max(240, el.clientWidth);
    const opts: uPlot.Options = {
      width,
      height: props.height ?? 220,
      title: props.title,
      scales: {
        x: { time: false },
        y: props.yRange ? { range: () => props.yRange as [number, number] } : props.logY ? { distr: 3 } : {},
      },
      axes: chartAxes({ xLabel: props.xLabel, yLabel: props.yLabel, logY: props.logY ?? false, xIncrs: WHOLE_STEPS }),
      series: [
        { label: props.xLabel },
        ...props.lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 1.5,
          spanGaps: true,
          dash: l.dash ? [6, 4] : undefined,
        })),
      ],
      legend: { live: false },
      cursor: { drag: { x: true, y: false } },
      hooks: { draw: [showTickLabels] },
    };
    const p = new uPlot(opts, data(), el);
    plot.current = p;
    const resize = new ResizeObserver(() =>
      p.setSize({ width: Math.max(240, el.clientWidth), height: props.height ?? 220 }),
    );
    resize.observe(el);
    // Axis colours are read from the theme when drawing: redraw when the page switches theme.
    const theme = new MutationObserver(() => p.redraw(false, false));
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => {
      resize.disconnect();
      theme.disconnect();
      p.destroy();
      plot.current = null;
    };
  }, [shapeKey]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the signal that the (mutated in place) arrays grew.
  useEffect(() => {
    plot.current?.setData(data());
  }, [props.version, shapeKey]);

  return (
    <div
      className="chart"
      ref={host}
      data-testid={props.testId}
      data-points={props.lines.reduce((n, l) => n + l.x.length, 0)}
    />
  );
}
