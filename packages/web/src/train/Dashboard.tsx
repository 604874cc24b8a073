import { useEffect, useState } from "react";
import { LineChart } from "../charts/LineChart";
import { progressOf } from "../charts/series";
import type { LocalRun } from "./trainer";

function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "–";
  if (s < 60) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** Registry statuses of a run that has stopped though its events never said so. */
export const STOPPED = ["interrupted", "failed", "aborted"];

/** The live view of one run: progress, throughput, loss/accuracy per batch and per epoch, learning rate, log. */
export function Dashboard({ run }: { run: LocalRun }) {
  const s = run.series;
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (s.end || run.registryStatus === "interrupted") return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [s.end, run.registryStatus]);
  // The registry knows a run stopped without an end event (a server restart): it is not running, and has no ETA.
  const stopped = !s.end && run.registryStatus && STOPPED.includes(run.registryStatus) ? run.registryStatus : null;
  const measured = progressOf(s, Math.max(now, s.lastBatch?.time ?? 0));
  const p = stopped ? { ...measured, etaSeconds: null } : measured;
  const queued = !s.start && !s.end && run.queuePosition ? `queued (position ${run.queuePosition})` : null;
  const status = stopped ?? (s.end ? s.end.type : s.start ? "running" : (queued ?? "starting"));
  return (
    <section className="dashboard" aria-label="Live training dashboard" data-testid="dashboard" data-status={status}>
      <div className="progress-row">
        <div>
          <label htmlFor="run-progress">
            Run{" "}
            {s.lastBatch
              ? `· step ${s.lastBatch.step} of ${s.start ? s.start.epochs * s.start.stepsPerEpoch : "?"}`
              : ""}
          </label>
          <progress id="run-progress" max={1} value={p.run} />
        </div>
        <div>
          <label htmlFor="epoch-progress">
            Epoch {s.lastBatch?.epoch ?? 0} of {s.start?.epochs ?? "?"}
          </label>
          <progress id="epoch-progress" max={1} value={p.epoch} />
        </div>
        <dl className="stats">
          <dt>Status</dt>
          <dd data-testid="run-status">{status}</dd>
          <dt>ETA</dt>
          <dd>{formatSeconds(p.etaSeconds)}</dd>
          <dt>Samples/s</dt>
          <dd>{p.samplesPerSec ? Math.round(p.samplesPerSec).toLocaleString() : "–"}</dd>
          <dt>LR</dt>
          <dd>{s.lastBatch ? s.lastBatch.learningRate.toExponential(2) : "–"}</dd>
        </dl>
      </div>
      {s.end?.type === "done" && s.end.stoppedEarly && (
        <p role="status" data-testid="stop-reason">
          {s.end.stopReason ?? "Stopped early: validation stopped improving."}
        </p>
      )}
      <div className="charts">
        <LineChart
          title="Loss per batch"
          xLabel="step"
          yLabel="loss"
          version={run.version}
          testId="chart-batch-loss"
          lines={[{ label: "train loss", x: s.batch.step, y: s.batch.loss, color: "#e4572e" }]}
        />
        <LineChart
          title="Accuracy per batch"
          xLabel="step"
          yLabel="accuracy"
          version={run.version}
          testId="chart-batch-acc"
          lines={[{ label: "train accuracy", x: s.batch.step, y: s.batch.accuracy, color: "#2e86de" }]}
        />
        <LineChart
          title="Per epoch: train vs validation"
          xLabel="epoch"
          yLabel="loss / accuracy"
          version={run.version}
          lines={[
            { label: "train loss", x: s.epoch.epoch, y: s.epoch.trainLoss, color: "#e4572e" },
            { label: "val loss", x: s.epoch.epoch, y: s.epoch.valLoss, color: "#e4572e", dash: true },
            { label: "train acc", x: s.epoch.epoch, y: s.epoch.trainAccuracy, color: "#2e86de" },
            { label: "val acc", x: s.epoch.epoch, y: s.epoch.valAccuracy, color: "#2e86de", dash: true },
          ]}
        />
        <LineChart
          title="Learning rate"
          xLabel="step"
          yLabel="learning rate"
          version={run.version}
          lines={[{ label: "lr", x: s.batch.step, y: s.batch.learningRate, color: "#8e44ad" }]}
        />
      </div>
      <details className="log" open>
        <summary>Log ({s.logs.length})</summary>
        <ol aria-live="polite">
          {s.logs.slice(-200).map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: log lines are append-only.
            <li key={i} className={l.level}>
              <time>{new Date(l.time).toLocaleTimeString()}</time> {l.message}
            </li>
          ))}
        </ol>
      </details>
    </section>
  );
}
