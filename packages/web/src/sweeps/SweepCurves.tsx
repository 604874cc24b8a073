import { formatSweepValue } from "@layerlab/spec";
import type { SweepView } from "../api/client";
import { type Line, LineChart } from "../charts/LineChart";
import { SERIES_COLORS } from "./scoreChartLayout";
import type { SweepCurve } from "./sweepCurves";
import { settingLabel } from "./sweepSettings";

/** A run's name in the legend: its values ("0.001 · adam"), or its fold. */
function legendLabel(view: SweepView, values: readonly (string | number | boolean)[]): string {
  if (view.kind === "kfold") return `fold ${Number(values[0]) + 1}`;
  return values.map(formatSweepValue).join(" · ");
}

/** The validation accuracy of every run per epoch, overlaid; the legend names each run by its setting values. */
export function SweepCurves({ view, curves }: { view: SweepView; curves: readonly SweepCurve[] }) {
  const lines: Line[] = view.runs.map((r, i) => {
    const curve = curves.find((c) => c.runId === r.run.id);
    return {
      label: legendLabel(view, r.values),
      x: curve?.epoch ?? [],
      y: curve?.valAccuracy ?? [],
      color: SERIES_COLORS[i % SERIES_COLORS.length]!,
      // Past six runs the colours repeat: the second round is dashed.
      dash: Math.floor(i / SERIES_COLORS.length) % 2 === 1,
    };
  });
  const points = lines.reduce((n, l) => n + l.x.length, 0);
  const legendTitle =
    view.kind === "kfold"
      ? "held-out fold"
      : view.plan.axes.map((a) => settingLabel(a.field).toLowerCase()).join(" · ");
  return (
    <div className="sweep-curves">
      <LineChart
        title={`Validation accuracy per epoch (${legendTitle})`}
        lines={lines}
        version={points}
        xLabel="epoch"
        yLabel="validation accuracy"
        testId="sweep-curves"
      />
    </div>
  );
}
