import { formatSweepValue } from "@layerlab/spec";
import { useEffect, useRef, useState } from "react";
import { layoutScoreChart } from "./scoreChartLayout";
import type { ScoreChartData } from "./sweepResults";
import { settingLabel } from "./sweepSettings";

const HEIGHT = 240;

/** The width of an element, kept up to date as the page resizes. */
function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setWidth(el.clientWidth);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/** The final metric of every run against the swept setting, one line per value of the other setting. */
export function ScoreChart({ data }: { data: ScoreChartData }) {
  const [host, width] = useWidth();
  const xTitle = settingLabel(data.xField);
  const layout =
    width > 0
      ? layoutScoreChart({
          xValues: data.xValues,
          scale: data.scale,
          series: data.series,
          width,
          height: HEIGHT,
          reference: data.reference,
        })
      : null;
  const points = layout?.series.reduce((n, s) => n + s.points.length, 0) ?? 0;
  const description = `${data.yLabel} against ${xTitle.toLowerCase()}${data.lineField ? `, one line per ${settingLabel(data.lineField).toLowerCase()}` : ""}${data.scale === "log" ? " (log scale)" : ""}`;
  return (
    <figure className="score-chart" data-testid="sweep-score-chart" data-points={points}>
      <figcaption>
        <b>{data.yLabel[0]!.toUpperCase() + data.yLabel.slice(1)}</b> against {xTitle.toLowerCase()}
        {data.scale === "log" ? " (log scale)" : ""}
      </figcaption>
      <div ref={host} className="score-chart-canvas">
        {layout && (
          <svg width={layout.width} height={layout.height} role="img" aria-label={description}>
            {layout.yTicks.map((t) => (
              <g key={t.label} className="grid">
                <line x1={layout.plot.left} x2={layout.plot.right} y1={t.y} y2={t.y} />
                <text x={layout.plot.left - 8} y={t.y} textAnchor="end" dominantBaseline="middle">
                  {t.label}
                </text>
              </g>
            ))}
            <line
              className="axis"
              x1={layout.plot.left}
              x2={layout.plot.right}
              y1={layout.plot.bottom}
              y2={layout.plot.bottom}
            />
            {layout.xTicks.map((t) => (
              <text key={t.label} className="tick" x={t.x} y={layout.plot.bottom + 16} textAnchor="middle">
                {t.label}
              </text>
            ))}
            <text
              className="title"
              x={(layout.plot.left + layout.plot.right) / 2}
              y={layout.height - 6}
              textAnchor="middle"
            >
              {xTitle}
            </text>
            <text
              className="title"
              transform={`translate(12 ${(layout.plot.top + layout.plot.bottom) / 2}) rotate(-90)`}
              textAnchor="middle"
            >
              {data.yLabel}
            </text>
            {layout.reference && (
              <g className="reference">
                <line x1={layout.plot.left} x2={layout.plot.right} y1={layout.reference.y} y2={layout.reference.y} />
                <text x={layout.plot.right} y={layout.reference.y - 5} textAnchor="end">
                  {layout.reference.label}
                </text>
              </g>
            )}
            {layout.series.map((s) => (
              <g key={s.label ?? "score"} stroke={s.color} fill={s.color}>
                <polyline fill="none" strokeWidth={2} points={s.points.map((p) => `${p.x},${p.y}`).join(" ")} />
                {s.points.map((p) => (
                  <circle key={String(p.value)} cx={p.x} cy={p.y} r={4}>
                    <title>
                      {`${s.label ? `${s.label}, ` : ""}${typeof p.value === "string" ? p.value : formatSweepValue(p.value)}: ${(p.score * 100).toFixed(1)}%`}
                    </title>
                  </circle>
                ))}
              </g>
            ))}
          </svg>
        )}
      </div>
      {data.lineField && layout && (
        <ul className="score-legend" aria-label={`Lines: ${settingLabel(data.lineField)}`}>
          <li className="muted">{settingLabel(data.lineField)}:</li>
          {layout.series.map((s) => (
            <li key={s.label}>
              <span className="swatch" style={{ background: s.color }} />
              {s.label}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
