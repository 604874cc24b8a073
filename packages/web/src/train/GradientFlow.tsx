import { EXPLODING_GRADIENT_NORM, layerLabel, VANISHING_GRADIENT_NORM } from "@layerlab/spec";
import { type Line, LineChart } from "../charts/LineChart";
import type { RunSeries } from "../charts/series";
import { gradientWarnings } from "./gradientWarnings";

const PALETTE = ["#e4572e", "#2e86de", "#17a589", "#8e44ad", "#d4ac0d", "#c0392b", "#5d6d7e", "#ca6f1e"];

/** Per-layer gradient norm and update-to-weight ratio over training (log scale), with vanishing/exploding warnings. */
export function GradientFlow({ series, version }: { series: RunSeries; version: number }) {
  const g = series.gradients;
  if (g.step.length === 0) return null;
  const layers = [...g.layers.entries()].sort(([a], [b]) => a - b);
  const color = (i: number) => PALETTE[i % PALETTE.length]!;
  const ends = [g.step[0]!, g.step[g.step.length - 1]!];
  const norms: Line[] = layers.map(([layer, col], i) => ({
    label: layerLabel(col.kind, layer),
    x: g.step,
    y: col.gradNorm,
    color: color(i),
  }));
  // The warning thresholds as dashed lines, so a layer crossing one shows where it happened.
  norms.push(
    {
      label: "vanishing",
      x: ends,
      y: [VANISHING_GRADIENT_NORM, VANISHING_GRADIENT_NORM],
      color: "#b7791f",
      dash: true,
    },
    {
      label: "exploding",
      x: ends,
      y: [EXPLODING_GRADIENT_NORM, EXPLODING_GRADIENT_NORM],
      color: "#c0392b",
      dash: true,
    },
  );
  const ratios: Line[] = layers.map(([layer, col], i) => ({
    label: layerLabel(col.kind, layer),
    x: g.step,
    y: col.updateRatio,
    color: color(i),
  }));
  const warnings = gradientWarnings(g);
  return (
    <section className="gradient-flow" data-testid="gradient-flow" aria-label="Gradient flow">
      <h3>Gradient flow</h3>
      {warnings.length > 0 && (
        <ul className="banner warn" data-testid="gradient-warnings" role="status">
          {warnings.map((w) => (
            <li key={w.layer}>{w.message}</li>
          ))}
        </ul>
      )}
      <div className="charts">
        <LineChart
          title="Gradient norm per layer (log)"
          xLabel="step"
          yLabel="gradient norm"
          version={version}
          lines={norms}
          logY
          testId="chart-grad-norm"
        />
        <LineChart
          title="Update / weight ratio per layer (log; ~1e-3 is healthy)"
          xLabel="step"
          yLabel="update / weight ratio"
          version={version}
          lines={ratios}
          logY
          testId="chart-update-ratio"
        />
      </div>
    </section>
  );
}
