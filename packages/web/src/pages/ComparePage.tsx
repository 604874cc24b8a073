import { analyzeSpec, defaultTrainingConfig } from "@layerlab/spec";
import { useState } from "react";
import { LineChart } from "../charts/LineChart";
import { DisagreementSection } from "../compare/DisagreementSection";
import { useComparedRuns } from "../compare/useComparedRuns";
import { datasetLabel } from "../data/datasets";
import { diffSetups } from "../state/configDiff";
import { runLabels } from "../state/runLabels";
import { ConfusionMatrix, PredictionGrid } from "../train/Results";
import { useTrainer } from "../train/useTrainer";

const COLORS = ["#e4572e", "#2e86de", "#27ae60", "#8e44ad", "#f39c12", "#16a085"];

function modelSummary(spec: unknown): string {
  const a = analyzeSpec(spec);
  return (a.spec?.layers ?? [])
    .map((l) => {
      if (l.kind === "dense") return `dense${l.units}`;
      if (l.kind === "conv2d") return `conv${l.filters}`;
      // A merge names what it joins, so two graphs wired differently read differently.
      return l.inputs && (l.kind === "add" || l.kind === "concat") ? `${l.kind}(${l.inputs.join(",")})` : l.kind;
    })
    .join("-");
}

/** Two or more runs side by side: overlaid curves, config differences, confusion matrices, the same test images. */
export function ComparePage() {
  const state = useTrainer();
  const runs = state.runs.filter((r) => r.series.start);
  // The runs the address names (opened into the page after a reload), else the latest two.
  const compared = useComparedRuns();
  const picked = compared.ids;
  const [zoom, setZoom] = useState(false);
  const chosen = (picked.length ? picked : runs.slice(-2).map((r) => r.id))
    .map((id) => runs.find((r) => r.id === id))
    .filter((r) => r !== undefined);
  const version = chosen.reduce((n, r) => n + r.version, 0);
  const sameTest =
    chosen.length > 1 &&
    chosen.every((r) => r.results && datasetLabel(r.studio.dataset) === datasetLabel(chosen[0]!.studio.dataset));
  const testCount = Math.min(...chosen.map((r) => r.results?.test.count ?? 0));
  // The same 16 test images for every run, spread over the split.
  const sample = Array.from({ length: Math.min(16, testCount) }, (_, i) => Math.floor((i * testCount) / 16));

  const problems = compared.problems.length > 0 && (
    <div className="problem error" role="alert">
      {compared.problems.map((p) => (
        <p key={p}>{p}</p>
      ))}
      <p>Pick the runs to compare again on the Runs page.</p>
    </div>
  );
  // A named run is open once its events have come (a queued run has none to come).
  const awaitingEvents = (id: string) =>
    state.runs.some((r) => r.id === id && !r.series.start && r.registryStatus !== "queued");
  const stillOpening = compared.opening > 0 || picked.some(awaitingEvents);
  if (runs.length < 2 || (stillOpening && chosen.length < 2)) {
    if (stillOpening)
      return (
        <div className="page">
          <section className="panel">
            <h2>Compare</h2>
            <p role="status">Opening the runs to compare…</p>
          </section>
        </div>
      );
    return (
      <div className="page">
        <section className="panel">
          <h2>Compare</h2>
          {problems}
          <p>
            Compare needs two runs. Train two configurations (change one setting between them), or open runs from the
            Runs page.
          </p>
          <a className="button primary" href="#/train">
            Go to training
          </a>
        </section>
      </div>
    );
  }
  const rows = diffSetups(
    chosen.map((r) => ({
      model: modelSummary(r.studio.spec),
      config: { ...defaultTrainingConfig(), ...r.studio.config },
      dataset: datasetLabel(r.studio.dataset),
    })),
  );
  // Two runs of one template share a name ("MLP"): the legends add what differs between them.
  const labels = runLabels(chosen, rows);
  // Copies of one configuration share a name: each choice shows its short id, as the legends do.
  const choiceLabels = runLabels(runs, []);
  return (
    <div className="page compare">
      <section className="panel wide">
        <h2>Compare runs</h2>
        {problems}
        <fieldset className="chips">
          <legend className="muted">Runs to compare</legend>
          {runs.map((r, i) => (
            <label key={r.id} className="chip toggle">
              <input
                type="checkbox"
                checked={chosen.some((c) => c.id === r.id)}
                onChange={(e) => {
                  const base = chosen.map((c) => c.id);
                  compared.choose(e.target.checked ? [...base, r.id] : base.filter((id) => id !== r.id));
                }}
              />{" "}
              {choiceLabels[i]}
            </label>
          ))}
        </fieldset>
        <label className="radio">
          <input type="checkbox" checked={zoom} onChange={(e) => setZoom(e.target.checked)} /> Zoom accuracy to 90–100%
        </label>
        <div className="charts" data-testid="compare-charts">
          <LineChart
            title="Validation accuracy per epoch"
            xLabel="epoch"
            yLabel="accuracy"
            version={version}
            yRange={zoom ? [0.9, 1] : null}
            lines={chosen.map((r, i) => ({
              label: labels[i]!,
              x: r.series.epoch.epoch,
              y: r.series.epoch.valAccuracy.some(Number.isFinite)
                ? r.series.epoch.valAccuracy
                : r.series.epoch.trainAccuracy,
              color: COLORS[i % COLORS.length]!,
            }))}
          />
          <LineChart
            title="Loss per batch"
            xLabel="step"
            yLabel="loss"
            version={version}
            lines={chosen.map((r, i) => ({
              label: labels[i]!,
              x: r.series.batch.step,
              y: r.series.batch.loss,
              color: COLORS[i % COLORS.length]!,
            }))}
          />
          <LineChart
            title="Accuracy per batch"
            xLabel="step"
            yLabel="accuracy"
            version={version}
            yRange={zoom ? [0.9, 1] : null}
            lines={chosen.map((r, i) => ({
              label: labels[i]!,
              x: r.series.batch.step,
              y: r.series.batch.accuracy,
              color: COLORS[i % COLORS.length]!,
            }))}
          />
        </div>
        <h3>Differences</h3>
        <table className="diff" data-testid="config-diff">
          <thead>
            <tr>
              <th>setting</th>
              {chosen.map((r, i) => (
                <th key={r.id}>{labels[i]}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>test accuracy</td>
              {chosen.map((r) => (
                <td key={r.id}>{r.results ? `${(r.results.accuracy * 100).toFixed(2)}%` : "–"}</td>
              ))}
            </tr>
            {rows.map((row) => (
              <tr key={row.path}>
                <td>{row.path}</td>
                {row.values.map((v, i) => (
                  <td key={chosen[i]!.id}>{v}</td>
                ))}
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={chosen.length + 1} className="muted">
                  Same model, config and data.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {chosen.length >= 2 && (
          <DisagreementSection
            runs={chosen.map((run, i) => ({ run, label: labels[i]!, color: COLORS[i % COLORS.length]! }))}
          />
        )}
        <div className="side-by-side">
          {chosen.map((r, i) => (
            <div key={r.id}>
              <h3>{labels[i]}</h3>
              {/* Two runs' matrices are in "Where they disagree", beside their difference. */}
              {r.results ? (
                chosen.length !== 2 && <ConfusionMatrix results={r.results} />
              ) : (
                <p className="muted">No test results yet.</p>
              )}
              {sameTest && r.results && <PredictionGrid results={r.results} indices={sample} />}
            </div>
          ))}
        </div>
      </section>
    </div>
  );
}
