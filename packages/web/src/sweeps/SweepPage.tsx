import { kFoldFindings } from "@layerlab/report/sweep";
import { useState } from "react";
import { type SweepView, sweepReportUrl } from "../api/client";
import { useSweepRunner } from "./browserSweepRunner";
import { isLocalSweepId } from "./localSweepStore";
import { ScoreChart } from "./ScoreChart";
import { SweepCurves } from "./SweepCurves";
import { SweepTable } from "./SweepTable";
import { continueSweepHere, deleteWholeSweep, downloadLocalSweepReport, stopSweep } from "./sweepActions";
import { openRuns, percent, progressText, scoreChartData, scoreLabel } from "./sweepResults";
import { useSweep } from "./useSweep";
import "./sweeps.css";

/** A sweep's page: what was held fixed, progress, the score chart, the overlaid curves, the findings and the runs. */
export function SweepPage({ sweepId }: { sweepId: string }) {
  const { view, curves, error, missing, reload } = useSweep(sweepId);
  if (!view) {
    return (
      <div className="page">
        <section className="panel">
          <h2>Sweep</h2>
          {error ? (
            <p className="problem error" role="alert">
              {error}
            </p>
          ) : (
            <p role="status">Opening the sweep…</p>
          )}
          {missing && (
            <a className="button" href="#/runs">
              See the runs and sweeps
            </a>
          )}
        </section>
      </div>
    );
  }
  return <SweepBody view={view} curves={curves} error={error} reload={reload} />;
}

function SweepBody({
  view,
  curves,
  error,
  reload,
}: {
  view: SweepView;
  curves: ReturnType<typeof useSweep>["curves"];
  error: string | null;
  reload: () => void;
}) {
  const runner = useSweepRunner();
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const trainingHere = runner.sweepId === view.id;
  const open = openRuns(view);
  const waitingForBrowser =
    view.executor === "browser" && !trainingHere ? view.runs.filter((r) => r.run.status === "queued").length : 0;
  const label = scoreLabel(view);
  const chart = scoreChartData(view);
  // A k-fold's folds are not settings to rank: its findings say how far the folds spread instead.
  const findings = view.kind === "kfold" ? kFoldFindings(view) : view.findings;
  /** Runs a button's action; afterwards the sweep is read again (a deleted one is not: the page moves on). */
  const act = (what: "stop" | "continue" | "delete", action: () => Promise<unknown>) => {
    setBusy(what);
    setActionError(null);
    action()
      .then(
        () => what !== "delete" && reload(),
        (err: unknown) => setActionError(err instanceof Error ? err.message : String(err)),
      )
      .finally(() => setBusy(null));
  };
  const remove = () => {
    const runs = `${view.runs.length} run${view.runs.length === 1 ? "" : "s"}`;
    if (
      !confirm(
        `Delete the sweep "${view.name}" and its ${runs} with their files?${open > 0 ? " Its runs still training are stopped first." : ""}`,
      )
    )
      return;
    act("delete", async () => {
      await deleteWholeSweep(view);
      window.location.hash = "#/runs";
    });
  };

  return (
    <div className="page sweep-page">
      <section className="panel wide" aria-labelledby="sweep-h">
        <div className="toolbar">
          <h2 id="sweep-h">{view.name}</h2>
          <span className="badge">{view.kind === "kfold" ? "k-fold cross-validation" : "sweep"}</span>
          <span className="badge">{view.executor === "server" ? "on the server" : "in a browser"}</span>
          <span className="spacer" />
          {open > 0 && (
            <button
              type="button"
              className="danger"
              disabled={busy !== null}
              onClick={() => act("stop", () => stopSweep(view))}
            >
              Stop
            </button>
          )}
          {isLocalSweepId(view.id) ? (
            <button type="button" onClick={() => downloadLocalSweepReport(view)}>
              Report
            </button>
          ) : (
            <a className="button" href={sweepReportUrl(view.id)} download>
              Report
            </a>
          )}
          <button type="button" className="danger" disabled={busy !== null} onClick={remove}>
            Delete
          </button>
        </div>
        <p className="sweep-control" data-testid="sweep-control">
          <b>Controlled:</b> {view.control}
        </p>
        <p role="status" className="sweep-progress" data-testid="sweep-progress">
          {progressText(view)}
          {trainingHere && runner.current && " · training in this browser, one run after another"}
        </p>
        {waitingForBrowser > 0 && (
          <p className="note">
            {waitingForBrowser} run{waitingForBrowser === 1 ? " waits" : "s wait"} for a browser to train{" "}
            {waitingForBrowser === 1 ? "it" : "them"}.{" "}
            <button
              type="button"
              className="primary"
              disabled={busy !== null}
              onClick={() => act("continue", () => continueSweepHere(view))}
            >
              Train {waitingForBrowser === 1 ? "it" : "them"} here
            </button>
          </p>
        )}
        {[error, actionError, ...runner.problems].filter(Boolean).map((p) => (
          <p key={p} className="problem error" role="alert">
            {p}
          </p>
        ))}
        {view.kfold && (
          <div className="kfold-headline" data-testid="kfold-result">
            <p className="kfold-main">{view.kfold.text}</p>
            <p className="muted">
              Final validation accuracy per fold:{" "}
              {view.kfold.perFold.map((v, f) => `fold ${f + 1} ${percent(v)}`).join(" · ")}
            </p>
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="score-h">
        <h3 id="score-h">{view.kind === "kfold" ? "Accuracy per fold" : "Score per setting"}</h3>
        <ScoreChart data={chart} />
      </section>
      <section className="panel" aria-labelledby="curves-h">
        <h3 id="curves-h">Curves</h3>
        <SweepCurves view={view} curves={curves} />
      </section>
      <section className="panel wide" aria-labelledby="findings-h">
        <h3 id="findings-h">What changed</h3>
        {findings.length > 0 ? (
          <ul className="sweep-findings" data-testid="sweep-findings">
            {findings.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        ) : (
          <p className="muted">The findings come once runs have finished.</p>
        )}
        <h3>Runs</h3>
        <SweepTable view={view} scoreLabel={label} />
        {view.kind === "grid" && <p className="muted">Score: {label} of each run.</p>}
      </section>
    </div>
  );
}
