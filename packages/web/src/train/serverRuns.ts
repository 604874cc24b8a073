import {
  abortRun,
  createRunOrFindDuplicate,
  followRunEvents,
  getRun,
  type IfExists,
  resumeServerRun,
} from "../api/client";
import { differencesFromBuiltinShapes } from "../data/datasets";
import type { Studio } from "../state/studio";
import type { StartOutcome } from "./browserRuns";
import { fetchServerResults } from "./serverResults";
import { trainer } from "./trainer";

const ATTACHED_KEY = "layerlab.attachedRun";
/** How a run's log line starts when its test results failed to load (the Compare page reads it). */
export const RESULTS_FAILED_PREFIX = "the test results could not be loaded: ";
const closers = new Map<string, () => void>();
const loadingResults = new Set<string>();

/** Follows server run `id` in the shared dashboard; replays everything so a reload misses nothing. */
export function attachServerRun(id: string, name: string, studio: Studio) {
  trainer.watch({ id, name, where: "server", studio });
  sessionStorage.setItem(ATTACHED_KEY, JSON.stringify({ id, name, studio }));
  closers.get(id)?.();
  const warn = (message: string) => trainer.note(id, "warn", message);
  // Replays from the start; the series skips seqs it already has.
  let close = () => {};
  const follow = (afterSeq: number) => {
    close = followRunEvents(
      id,
      afterSeq,
      (e) => {
        trainer.pushEvent(id, e);
        if (e.type === "done" && e.testAccuracy !== null) loadResults(id, studio, warn);
        // The stream closes at an end event; a resumed run's history has an earlier one, so follow on while it trains.
        if (e.type === "aborted" || e.type === "error") {
          getRun(id).then(
            (r) => {
              if (r.status === (e.type === "aborted" ? "aborted" : "failed"))
                trainer.setRegistry(id, { registryStatus: r.status });
              else follow(e.seq);
            },
            () => undefined,
          );
        }
      },
      warn,
    );
  };
  follow(-1);
  // The queue position comes from the run record; poll it until the run starts.
  const poll = setInterval(() => {
    const run = trainer.getState().runs.find((r) => r.id === id);
    if (!run || run.series.start || run.series.end) {
      clearInterval(poll);
      trainer.setQueuePosition(id, null);
      return;
    }
    getRun(id).then(
      (r) => trainer.setQueuePosition(id, r.queuePosition),
      () => undefined,
    );
  }, 1000);
  closers.set(id, () => {
    clearInterval(poll);
    close();
  });
}

/** Stops following run `id` on the server (this tab trains it now, as a resumed browser run). */
export function detachServerRun(id: string): void {
  closers.get(id)?.();
  closers.delete(id);
}

/** Forgets deleted run `id`: stops following it, and a reload no longer reattaches to it. */
export function forgetServerRun(id: string): void {
  detachServerRun(id);
  const saved = sessionStorage.getItem(ATTACHED_KEY);
  if (saved?.includes(`"id":${JSON.stringify(id)}`)) sessionStorage.removeItem(ATTACHED_KEY);
}

/** Fetches a finished server run's test results into the dashboard (once per run). */
function loadResults(id: string, studio: Studio, warn: (message: string) => void) {
  const run = trainer.getState().runs.find((r) => r.id === id);
  if (!run || run.results || loadingResults.has(id)) return;
  loadingResults.add(id);
  fetchServerResults(id, serverDatasetId(studio))
    .then(
      (results) => trainer.setResults(id, results),
      (err: unknown) => warn(`${RESULTS_FAILED_PREFIX}${err instanceof Error ? err.message : String(err)}`),
    )
    .finally(() => loadingResults.delete(id));
}

/** After a reload: reattaches to the server run this tab was watching, if any. */
export function reattachServerRun(): boolean {
  const saved = sessionStorage.getItem(ATTACHED_KEY);
  if (!saved) return false;
  try {
    const { id, name, studio } = JSON.parse(saved) as { id: string; name: string; studio: Studio };
    attachServerRun(id, name, studio);
    return true;
  } catch {
    sessionStorage.removeItem(ATTACHED_KEY);
    return false;
  }
}

/** The server's id of `studio`'s dataset: the built-in shapes are the default choice; other generated variants exist only in this page (throws saying so). */
export function serverDatasetId(studio: Studio): string {
  const d = studio.dataset;
  if (d.kind === "server") return d.id;
  const differences = differencesFromBuiltinShapes(d);
  if (differences.length > 0) {
    throw new Error(
      `the server's shapes dataset is not this one: ${differences.join(", ")} — reset the shapes options to the server's, or train this variant in the browser`,
    );
  }
  return "shapes";
}

/**
 * Queues `studio` on the server and follows it; `limit` trains on the first N
 * samples. Without `ifExists`, a configuration that has a run already comes
 * back as a duplicate for the person to decide on.
 */
export async function startServerRun(studio: Studio, limit?: number, ifExists?: IfExists): Promise<StartOutcome> {
  const dataset = serverDatasetId(studio);
  const outcome = await createRunOrFindDuplicate({
    spec: studio.spec,
    config: studio.config,
    dataset,
    executor: "server",
    ...(limit ? { limit } : {}),
    ...(ifExists ? { ifExists } : {}),
  });
  if (outcome.kind !== "created") return { kind: "duplicate", existing: outcome.run };
  attachServerRun(outcome.run.id, outcome.run.name, studio);
  return { kind: "started", id: outcome.run.id };
}

/** Resumes interrupted, aborted or failed server run `id` from its last checkpoint and follows it. */
export async function resumeAndFollow(id: string, name: string, studio: Studio): Promise<void> {
  await resumeServerRun(id);
  trainer.setRegistry(id, { registryStatus: "queued" });
  attachServerRun(id, name, studio);
}

/** Asks the server to stop run `id`. */
export function abortServerRun(id: string): Promise<void> {
  return abortRun(id);
}
