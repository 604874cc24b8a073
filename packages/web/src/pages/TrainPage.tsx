import { analyzeSpec, validateConfig } from "@layerlab/spec";
import { useEffect, useMemo, useRef, useState } from "react";
import { fetchDatasetData, type IfExists, type RunSummary } from "../api/client";
import { DataPanel } from "../data/DataPanel";
import type { StudioApi } from "../state/useStudio";
import { SweepForm } from "../sweeps/SweepForm";
import { startBrowserRun } from "../train/browserRuns";
import { ConfigFormView } from "../train/ConfigFormView";
import { Dashboard, STOPPED } from "../train/Dashboard";
import { DoctorPanel } from "../train/DoctorPanel";
import { type DuplicateChoice, DuplicatePrompt } from "../train/DuplicatePrompt";
import { ServerDownloads } from "../train/Exports";
import { GradientFlow } from "../train/GradientFlow";
import { Results } from "../train/Results";
import { useSampleLimit } from "../train/sampleLimit";
import { abortServerRun, reattachServerRun, startServerRun } from "../train/serverRuns";
import { engineLabel, trainer } from "../train/trainer";
import { useServerAvailable, useTrainer } from "../train/useTrainer";

/** Data, config, where to train, Start/Abort, the live dashboard and the results. */
export function TrainPage({ api }: { api: StudioApi }) {
  const state = useTrainer();
  const serverUp = useServerAvailable();
  const [where, setWhere] = useState<"browser" | "server">("browser");
  const [limit, setLimit] = useSampleLimit();
  const [error, setError] = useState<string | null>(null);
  const spec = useMemo(() => analyzeSpec(api.studio.spec), [api.studio.spec]);
  const config = useMemo(() => validateConfig(api.studio.config), [api.studio.config]);
  const active = state.runs.find((r) => r.id === state.activeId) ?? null;
  const running = Boolean(
    active && !active.series.end && !(active.registryStatus && STOPPED.includes(active.registryStatus)),
  );
  const [duplicate, setDuplicate] = useState<RunSummary | null>(null);
  const [sweepOpen, setSweepOpen] = useState(false);
  const dashboard = useRef<HTMLElement>(null);
  // Set by Start: the dashboard sits below the forms, so the run it opens is scrolled into view.
  const revealNextRun = useRef(false);
  const activeId = active?.id;
  useEffect(() => {
    if (!activeId || !revealNextRun.current) return;
    revealNextRun.current = false;
    dashboard.current?.scrollIntoView({ behavior: "smooth", block: "start" });
  }, [activeId]);

  useEffect(() => {
    trainer.ensureWorker();
    if (serverUp) reattachServerRun();
  }, [serverUp]);

  const start = async (ifExists?: IfExists) => {
    setError(null);
    setDuplicate(null);
    revealNextRun.current = true;
    try {
      if (where === "server") {
        const outcome = await startServerRun(api.studio, limit || undefined, ifExists);
        if (outcome.kind === "duplicate") {
          revealNextRun.current = false;
          setDuplicate(outcome.existing);
        }
        return;
      }
      const serverData =
        api.studio.dataset.kind === "server" ? await fetchDatasetData(api.studio.dataset.id) : undefined;
      const outcome = await startBrowserRun(api.studio, {
        serverUp,
        ...(limit ? { limit } : {}),
        ...(serverData ? { serverData } : {}),
        ...(ifExists ? { ifExists } : {}),
      });
      if (outcome.kind === "duplicate") {
        revealNextRun.current = false;
        setDuplicate(outcome.existing);
      }
    } catch (err) {
      revealNextRun.current = false;
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const onDuplicate = (choice: DuplicateChoice) => {
    const existing = duplicate;
    setDuplicate(null);
    if (!existing || choice === "cancel") return;
    // Using the existing run creates nothing: it opens that run.
    if (choice === "use") window.location.hash = `#/run/${encodeURIComponent(existing.id)}`;
    else void start(choice);
  };
  const abort = () => {
    if (active?.where === "server") abortServerRun(active.id).catch((err) => setError(String(err.message ?? err)));
    else if (active) trainer.abort(active.id);
  };
  const blocked = !spec.ok
    ? "fix the model's errors in the builder first"
    : !config.ok
      ? "fix the training config's errors first"
      : null;

  return (
    <div className="page train">
      <section className="panel" aria-labelledby="data-h">
        <h2 id="data-h">Data</h2>
        <DataPanel api={api} serverUp={serverUp} />
      </section>
      <section className="panel" aria-labelledby="cfg-h">
        <h2 id="cfg-h">Training</h2>
        <ConfigFormView api={api} />
        <fieldset className="where">
          <legend>Where to train</legend>
          <label className="radio">
            <input type="radio" name="where" checked={where === "browser"} onChange={() => setWhere("browser")} /> This
            browser{" "}
            <span className="badge" data-testid="backend">
              {state.backend
                ? state.backend === "webgpu"
                  ? "WebGPU"
                  : state.isolated
                    ? "Wasm, multithreaded"
                    : "Wasm, one thread"
                : state.engineError
                  ? "engine failed"
                  : "starting engine…"}
            </span>
          </label>
          <label className="radio">
            <input
              type="radio"
              name="where"
              checked={where === "server"}
              disabled={!serverUp}
              onChange={() => setWhere("server")}
            />{" "}
            Server {serverUp ? "" : "(none answers here)"}
          </label>
          <div className="cfg-field">
            <label htmlFor="limit">Train on the first N samples only</label>
            <input
              id="limit"
              type="number"
              min={1}
              value={limit}
              placeholder="all"
              onChange={(e) => setLimit(e.target.value === "" ? "" : Math.max(1, Math.round(Number(e.target.value))))}
            />
          </div>
        </fieldset>
        <div className="toolbar">
          <button
            type="button"
            className="primary"
            onClick={() => start()}
            disabled={blocked !== null || (running && where === "server")}
            data-testid="start"
            title={
              running ? "Starts this setup next to the running one, on the same data (compare them live)" : undefined
            }
          >
            {running ? "Start side by side" : "Start training"}
          </button>
          <button type="button" className="danger" onClick={abort} disabled={!running} data-testid="abort">
            Abort
          </button>
          <button
            type="button"
            onClick={() => setSweepOpen(true)}
            title="Train this setup several times, changing only one or two settings (or k-fold cross-validation)"
          >
            Sweep…
          </button>
          {blocked && <span className="problem error">Cannot start: {blocked}.</span>}
          {state.engineError && <span className="problem error">{state.engineError}</span>}
          {error && <span className="problem error">{error}</span>}
        </div>
        {duplicate && <DuplicatePrompt existing={duplicate} onChoose={onDuplicate} />}
        {state.runs.length > 1 && (
          <div className="toolbar">
            <label htmlFor="run-select">Showing</label>
            <select id="run-select" value={state.activeId ?? ""} onChange={(e) => trainer.select(e.target.value)}>
              {state.runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                  {r.series.end ? ` (${r.series.end.type})` : ""}
                </option>
              ))}
            </select>
          </div>
        )}
      </section>
      {sweepOpen && <SweepForm api={api} serverUp={serverUp} limit={limit} onClose={() => setSweepOpen(false)} />}
      {active && (
        <section className="panel wide" aria-labelledby="dash-h" ref={dashboard}>
          <div className="toolbar">
            <h2 id="dash-h">
              {active.name} {active.where === "server" ? "· on the server" : "· in this browser"}{" "}
              {active.engine && (
                <span className="badge" data-testid="run-engine">
                  {engineLabel(active.engine)}
                </span>
              )}
            </h2>
            <span className="spacer" />
            {/* Next to the heading, which Start scrolled into view: the next step after training is in sight. */}
            {active.series.end?.type === "done" && (
              <a className="button primary" href="#/draw" data-testid="test-this-model">
                Test this model →
              </a>
            )}
          </div>
          <Dashboard run={active} />
          <GradientFlow series={active.series} version={active.version} />
          <DoctorPanel run={active} api={api} />
          {active.results && (
            <Results
              results={active.results}
              name={active.name}
              spec={active.where === "browser" ? active.studio.spec : undefined}
              run={active.where === "browser" ? active : undefined}
              explain={active}
              epochs={active.series.epoch}
              seconds={active.series.end?.type === "done" ? active.series.end.seconds : null}
              downloads={
                active.where === "server" && active.series.end?.type === "done" ? (
                  <ServerDownloads runId={active.id} artifacts={active.series.end.artifacts} />
                ) : undefined
              }
            />
          )}
          {active.where === "server" && active.series.end?.type === "done" && !active.results && (
            <p className="muted" data-testid="server-results-loading">
              {`Test accuracy ${active.series.end.testAccuracy !== null ? `${(active.series.end.testAccuracy * 100).toFixed(2)}%` : "–"}; loading the test images and predictions…`}
            </p>
          )}
        </section>
      )}
    </div>
  );
}
