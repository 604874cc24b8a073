import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
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

/** A live line chart on uPlot; redraws only the data when `version` changes. */
export function LineChart(props: {
  title: string;
  lines: Line[];
  version: number;
  xLabel: string;
  yRange?: [number, number] | null;
  /** A logarithmic y axis (values ≤ 0 are left out), for quantities spanning decades such as gradient norms. */
  logY?: boolean;
  height?: number;
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shapeKey = `${props.lines.map((l) => l.label).join("|")}:${props.yRange?.join(",") ?? ""}:${props.logY ?? false}`;
  const data = () => (props.logY ? positiveOnly(alignLines(props.lines)) : alignLines(props.lines));

  // biome-ignore lint/correctness/useExhaustiveDependencies: the plot is rebuilt only when its series or axis range change; data updates go through setData below.
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = Math.max(240, el.clientWidth);
    const opts: uPlot.Options = {
      width,
      height: props.height ?? 200,
      title: props.title,
      scales: {
        x: { time: false },
        y: props.yRange ? { range: () => props.yRange as [number, number] } : props.logY ? { distr: 3 } : {},
      },
      axes: [
        { label: props.xLabel, stroke: "var(--muted)", grid: { stroke: "var(--grid)" }, incrs: WHOLE_STEPS },
        { stroke: "var(--muted)", grid: { stroke: "var(--grid)" } },
      ],
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
    };
    const p = new uPlot(opts, data(), el);
    plot.current = p;
    const resize = new ResizeObserver(() =>
      p.setSize({ width: Math.max(240, el.clientWidth), height: props.height ?? 200 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
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
