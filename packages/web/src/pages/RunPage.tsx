import { analyzeSpec, configSummary, layerLabel, type ModelSpec } from "@layerlab/spec";
import { useEffect, useMemo, useState } from "react";
import { abortRun } from "../api/client";
import { EpochScrubber } from "../epochs/EpochScrubber";
import { type OpenedRun, openRun } from "../registry/openRun";
import type { StudioApi } from "../state/useStudio";
import { Dashboard, STOPPED } from "../train/Dashboard";
import { ServerDownloads } from "../train/Exports";
import { Results } from "../train/Results";
import { ResultsPending } from "../train/ResultsPending";
import { resumeBrowserRun } from "../train/resumeBrowserRun";
import { resumeAndFollow } from "../train/serverRuns";
import { type LocalRun, trainer } from "../train/trainer";
import { useTrainer } from "../train/useTrainer";

const STATUS_AFTER: Record<string, string> = {
  done: "succeeded",
  aborted: "aborted",
  error: "failed",
  diverged: "diverged",
};

/** The status a person should read for `run`: its end, what the registry knows, or what its events say. */
export function statusOf(run: LocalRun): string {
  const s = run.series;
  // Resumed: queued again until its next start event, though its events so far end with an abort or failure.
  if (run.registryStatus === "queued" && s.end?.type !== "done" && !(s.start && !s.end)) return "queued";
  if (s.end) return STATUS_AFTER[s.end.type] ?? s.end.type;
  if (run.registryStatus && STOPPED.includes(run.registryStatus)) return run.registryStatus;
  return s.start ? "running" : "queued";
}

/** One layer in words: its kind and its settings, e.g. "dense · units 128 · activation relu". */
function layerText(layer: Record<string, unknown>): string {
  const settings = Object.entries(layer)
    .filter(([k, v]) => k !== "kind" && v !== undefined && typeof v !== "object")
    .map(([k, v]) => `${k} ${String(v)}`);
  return [String(layer.kind), ...settings].join(" · ");
}

/** " ← batchNorm #5 'b1' + activation #3 's1'": what a graph's layer takes, when that is not the layer above. */
function takesText(spec: ModelSpec, sources: readonly number[] | undefined, index: number): string {
  if (!sources || (sources.length === 1 && sources[0] === index - 1)) return "";
  const name = (s: number) => {
    const layer = spec.layers[s];
    if (s < 0 || !layer) return "input";
    return layer.id === undefined ? layerLabel(layer.kind, s) : `${layerLabel(layer.kind, s)} '${layer.id}'`;
  };
  return ` ← ${sources.map(name).join(" + ")}`;
}

/** One run: its results or live dashboard at the top, its model and config beside them (read-only), and its actions. */
export function RunPage({ api, runId }: { api: StudioApi; runId: string }) {
  const state = useTrainer();
  const [opened, setOpened] = useState<OpenedRun | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    setOpened(null);
    setError(null);
    openRun(runId).then(
      (o) => live && setOpened(o),
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [runId]);
  const run = state.runs.find((r) => r.id === runId) ?? null;
  const analysis = useMemo(() => (opened ? analyzeSpec(opened.studio.spec) : null), [opened]);
  if (error)
    return (
      <div className="page">
        <section className="panel wide">
          <h2>Run {runId}</h2>
          <p className="problem error">{error}</p>
          <a className="button" href="#/runs">
            Back to the runs
          </a>
        </section>
      </div>
    );
  if (!opened || !run)
    return (
      <div className="page">
        <p className="muted">Opening run {runId}…</p>
      </div>
    );

  const status = statusOf(run);
  const executor = opened.summary.executor;
  const resumable = STOPPED.includes(status) && (executor === "server" || executor === "browser");
  const act = async (what: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  // A browser run resumes in this tab, from its last epoch end; a server run is queued on the server again.
  const resume = () =>
    act(() => (executor === "browser" ? resumeBrowserRun(run.id) : resumeAndFollow(run.id, run.name, run.studio)));
  const abort = () => act(async () => (run.where === "browser" ? trainer.abort(run.id) : abortRun(run.id)));
  const copyToBuilder = () => {
    api.run("loadStudio", { studio: opened.studio });
    window.location.hash = "#/build";
  };
  const seconds = run.series.end?.type === "done" ? run.series.end.seconds : null;
  return (
    <div className="page run-page">
      <section className="panel wide run-head" aria-labelledby="run-h">
        <div className="toolbar">
          <h2 id="run-h">{run.name}</h2>
          <span className={`status ${status}`} data-testid="run-page-status">
            {status}
          </span>
          <span className="muted">
            {opened.summary.executor === "browser" ? "trained in a browser" : "trained on the server"} ·{" "}
            {opened.summary.dataset}
            {opened.local ? " · kept in this browser" : ""}
          </span>
          <span className="spacer" />
          {resumable && (
            <button type="button" className="primary" onClick={resume} disabled={busy}>
              Resume
            </button>
          )}
          {resumable && executor === "browser" && (
            <span className="muted">Resumes in this tab from its last finished epoch.</span>
          )}
          {(status === "running" || status === "queued") && (
            <button type="button" className="danger" onClick={abort} disabled={busy}>
              Abort
            </button>
          )}
          {status === "succeeded" && (
            <a className="button" href="#/draw">
              Test by drawing
            </a>
          )}
          <a className="button ghost" href="#/runs">
            All runs
          </a>
        </div>
        {error && <p className="problem error">{error}</p>}
        {run.series.end?.type === "error" && <p className="problem error">{run.series.end.message}</p>}
      </section>
      <div className="run-body">
        <div className="run-main">
          {run.results && (
            <Results
              results={run.results}
              name={run.name}
              spec={run.results.weights ? run.studio.spec : undefined}
              run={run.where === "browser" ? run : undefined}
              explain={run}
              epochs={run.series.epoch}
              seconds={seconds}
              downloads={
                // A run trained in this tab builds its exports in the page (Results shows those); others ask the server.
                !opened.local && run.where !== "browser" && run.series.end?.type === "done" ? (
                  <ServerDownloads runId={run.id} artifacts={run.series.end.artifacts} />
                ) : undefined
              }
            />
          )}
          {status === "succeeded" && <ResultsPending run={run} />}
          {executor !== "import" && (
            <EpochScrubber run={run} spec={opened.studio.spec} config={opened.studio.config} local={opened.local} />
          )}
          <Dashboard run={run} />
        </div>
        <aside className="run-setup" aria-label="Model and configuration">
          <section className="panel" data-testid="run-model">
            <div className="toolbar">
              <h3>Model</h3>
              <span className="spacer" />
              <button type="button" onClick={copyToBuilder}>
                Copy to builder
              </button>
            </div>
            <p className="muted">
              input {(opened.studio.spec.input?.shape ?? []).join("×")} ·{" "}
              {analysis ? `${analysis.totals.params.toLocaleString("en-US")} parameters` : ""}
            </p>
            <ol className="run-layers">
              {(opened.studio.spec.layers ?? []).map((l, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the layers of a finished run never change.
                <li key={i}>
                  {layerText(l as Record<string, unknown>)}
                  {analysis?.spec && (
                    <span className="muted">{takesText(analysis.spec, analysis.layers[i]?.sources, i)}</span>
                  )}
                  {analysis?.layers[i]?.outShape && (
                    <span className="muted"> → {analysis.layers[i]!.outShape!.join("×")}</span>
                  )}
                </li>
              ))}
            </ol>
          </section>
          <section className="panel" data-testid="run-config">
            <h3>Training configuration</h3>
            <dl className="run-config">
              {configSummary(opened.studio.config as Record<string, unknown>).map(([k, v]) => (
                <div key={k} className="config-pair">
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
            </dl>
          </section>
        </aside>
      </div>
    </div>
  );
}
