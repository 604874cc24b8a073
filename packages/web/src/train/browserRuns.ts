import {
  analyzeSpec,
  configFingerprint,
  defaultRunName,
  metricsCsv,
  TERMINAL_EVENT_TYPES,
  type TrainEvent,
  validateConfig,
} from "@layerlab/spec";
import {
  createRunOrFindDuplicate,
  type IfExists,
  postRunEvents,
  type RunSummary,
  uploadRunArtifact,
} from "../api/client";
import { keepLocalEpoch } from "../epochs/keepLocalEpoch";
import {
  deleteStoredRun,
  putStoredRun,
  type StoredRun,
  storedRunSummary,
  storedRunsByFingerprint,
} from "../registry/localRunStore";
import { metricsOf, testReportOf } from "../registry/runFiles";
import type { Studio } from "../state/studio";
import { RESUME_POINT_FILE } from "./resumePoint";
import { serverDatasetId } from "./serverRuns";
import { type RunResults, trainer } from "./trainer";
import { holdWhileTraining } from "./trainingLocks";

/*
 * Browser runs in a registry. With a server, a browser run is created there
 * (executor "browser"), streams its events in batches and, when done, uploads
 * its weights, normalisation, metrics and test results before its final event,
 * so that "succeeded" always finds the files. Without one, the run is kept in
 * this browser's IndexedDB. Either way it outlives the page.
 */

/** How a start ended: training, or a run with this configuration exists and the person must choose. */
export type StartOutcome = { kind: "started"; id: string } | { kind: "duplicate"; existing: RunSummary };

/** What starting a browser run takes besides the setup. */
export interface BrowserStart {
  limit?: number;
  serverData?: ArrayBuffer;
  /** Whether a LayerLab server holds the registry. */
  serverUp: boolean;
  /** What to do with an existing run of this configuration; absent: ask. */
  ifExists?: IfExists;
}

/** Events sent per request (the server takes at most 5000). */
const EVENTS_PER_POST = 2000;
/** How long events gather before they are sent. */
const POST_EVERY_MS = 1000;
/** How long a done run waits for its results before its final event is sent without files. */
const RESULTS_WAIT_MS = 30_000;

const isTerminal = (e: TrainEvent) => TERMINAL_EVENT_TYPES.includes(e.type);

/** Starts `studio` in this browser, registered with the server when one answers and can name its dataset, else in IndexedDB. */
export async function startBrowserRun(studio: Studio, opts: BrowserStart): Promise<StartOutcome> {
  let serverDataset: string | null = null;
  if (opts.serverUp) {
    try {
      serverDataset = serverDatasetId(studio);
    } catch {
      // A shapes variant the server does not generate: this browser keeps the run.
    }
  }
  return serverDataset !== null ? startOnServerRegistry(studio, serverDataset, opts) : startInLocalStore(studio, opts);
}

async function startOnServerRegistry(studio: Studio, dataset: string, opts: BrowserStart): Promise<StartOutcome> {
  const outcome = await createRunOrFindDuplicate({
    spec: studio.spec,
    config: studio.config,
    dataset,
    executor: "browser",
    ...(opts.limit ? { limit: opts.limit } : {}),
    ...(opts.ifExists ? { ifExists: opts.ifExists } : {}),
  });
  if (outcome.kind === "duplicate") return { kind: "duplicate", existing: outcome.run };
  if (outcome.kind === "reused") return { kind: "duplicate", existing: outcome.run };
  const id = trainer.start(studio, { ...trainOpts(opts), id: outcome.run.id, name: outcome.run.name });
  trainer.setRegistry(id, { registered: "server" });
  reportToServer(id);
  return { kind: "started", id };
}

function trainOpts(opts: BrowserStart) {
  return { ...(opts.limit ? { limit: opts.limit } : {}), ...(opts.serverData ? { serverData: opts.serverData } : {}) };
}

/** The fingerprint a local run of `studio` is found by; null when the setup does not validate. */
export function localFingerprint(studio: Studio, limit?: number): string | null {
  const d = studio.dataset;
  const dataset = d.kind === "server" ? d.id : `shapes:${d.shapes.join("/")}@${d.size}×${d.countPerClass}#${d.seed}`;
  try {
    return configFingerprint(studio.spec, studio.config, { dataset: limit ? `${dataset}[:${limit}]` : dataset });
  } catch {
    return null;
  }
}

/** The name a run kept in this browser gets: the same descriptive name the server gives its runs. */
function localRunName(studio: Studio): string {
  const spec = analyzeSpec(studio.spec).spec;
  const config = validateConfig(studio.config).config;
  const dataset = studio.dataset.kind === "server" ? studio.dataset.id : "shapes";
  return spec && config ? defaultRunName(spec, config, dataset) : `browser run ${new Date().toLocaleString()}`;
}

async function startInLocalStore(studio: Studio, opts: BrowserStart): Promise<StartOutcome> {
  const fingerprint = localFingerprint(studio, opts.limit) ?? `unique-${crypto.randomUUID()}`;
  const existing = await storedRunsByFingerprint(fingerprint);
  if (existing.length > 0 && opts.ifExists !== "new") {
    if (opts.ifExists === "overwrite") for (const r of existing) await deleteStoredRun(r.id);
    else return { kind: "duplicate", existing: storedRunSummary(existing[0]!) };
  }
  const id = `browser-${crypto.randomUUID().slice(0, 8)}`;
  const d = studio.dataset;
  const stored: StoredRun = {
    id,
    name: localRunName(studio),
    status: "queued",
    studio,
    dataset: d.kind === "server" ? d.id : "shapes",
    limit: opts.limit ?? null,
    fingerprint,
    createdAt: Date.now(),
    startedAt: null,
    finishedAt: null,
    error: null,
    events: [],
    results: null,
  };
  await putStoredRun(stored);
  trainer.start(studio, { ...trainOpts(opts), id, name: stored.name });
  trainer.setRegistry(id, { registered: "local" });
  recordLocally(stored);
  return { kind: "started", id };
}

/**
 * Sends run `runId`'s events to the server in batches, its resume point at
 * every epoch end and, when it is done, its files, then its final event.
 * Holds the run's training lock until its final event is sent, so that a
 * page loaded after this one closed finds the run interrupted.
 */
export function reportToServer(runId: string): void {
  const holding = holdWhileTraining(runId, true);
  const release = () => void holding.then((release) => release());
  const pending: TrainEvent[] = [];
  let sending: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let done: TrainEvent | null = null;
  let waitForResults: ReturnType<typeof setTimeout> | null = null;
  const warn = (what: string) => (err: unknown) =>
    trainer.note(
      runId,
      "warn",
      `${what} did not reach the registry: ${err instanceof Error ? err.message : String(err)}`,
    );
  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    while (pending.length > 0) {
      const batch = pending.splice(0, EVENTS_PER_POST);
      sending = sending.then(() => postRunEvents(runId, batch)).catch(warn("events"));
    }
    return sending;
  };
  const finish = async (results: RunResults | null) => {
    if (waitForResults) clearTimeout(waitForResults);
    stop();
    await flush();
    if (results) await uploadResults(runId, results).catch(warn("the run's files"));
    if (done) pending.push(done);
    await flush();
    release();
  };
  const stop = trainer.observe(runId, (change) => {
    if (change.type === "results") {
      if (done) void finish(change.results);
      return;
    }
    if (change.type === "resumePoint") {
      // After the epoch's events, and before any later ones: an "aborted" the server records finds it there.
      void flush();
      const point = change.point;
      sending = sending.then(() => uploadRunArtifact(runId, RESUME_POINT_FILE, point)).catch(warn("the resume point"));
      return;
    }
    const event = change.event;
    if (event.type === "done") {
      // Held back until the files are up: whoever sees "succeeded" finds the weights.
      done = event;
      waitForResults = setTimeout(() => void finish(null), RESULTS_WAIT_MS);
    } else if (isTerminal(event)) {
      pending.push(event);
      stop();
      void flush().then(release);
    } else {
      pending.push(event);
      timer ??= setTimeout(() => void flush(), POST_EVERY_MS);
    }
  });
}

/** Uploads a finished browser run's weights, normalisation, metrics and test results. */
async function uploadResults(runId: string, results: RunResults): Promise<void> {
  const run = trainer.getState().runs.find((r) => r.id === runId);
  if (!run) return;
  const metrics = metricsOf(run.series, results);
  if (results.weights) await uploadRunArtifact(runId, "weights.safetensors", results.weights);
  if (results.normalization)
    await uploadRunArtifact(runId, "normalization.json", JSON.stringify(results.normalization));
  await uploadRunArtifact(runId, "metrics.json", JSON.stringify(metrics));
  await uploadRunArtifact(runId, "metrics.csv", metricsCsv(metrics));
  await uploadRunArtifact(runId, "test.json", JSON.stringify(testReportOf(results)));
}

const STATUS_AFTER: Record<string, StoredRun["status"]> = {
  done: "succeeded",
  aborted: "aborted",
  error: "failed",
  diverged: "diverged",
};

/**
 * Keeps browser run `stored` up to date in IndexedDB: its events and resume
 * point at each epoch end, its end and its results. Holds the run's training
 * lock until its end is stored, so that a later page finds it interrupted.
 */
export function recordLocally(stored: StoredRun): void {
  const holding = holdWhileTraining(stored.id, false);
  const release = () => void saving.then(() => holding).then((release) => release());
  let record = stored;
  let saving: Promise<void> = Promise.resolve();
  const save = (patch: Partial<StoredRun>) => {
    record = { ...record, ...patch };
    const snapshot = { ...record, events: [...record.events] };
    saving = saving
      .then(() => putStoredRun(snapshot))
      .catch((err: unknown) =>
        trainer.note(
          record.id,
          "warn",
          `this browser could not store the run: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
  };
  const stop = trainer.observe(stored.id, (change) => {
    if (change.type === "results") {
      save({ results: change.results });
      stop();
      release();
      return;
    }
    if (change.type === "resumePoint") {
      save({ resumePoint: change.point });
      keepLocalEpoch(record.id, record.studio.config, change.point).catch((err: unknown) =>
        trainer.note(
          record.id,
          "warn",
          `this browser could not keep epoch ${change.epochsDone}'s weights: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
      return;
    }
    const e = change.event;
    record.events.push(e);
    // A resumed run keeps its first start time.
    if (e.type === "start")
      save({ status: "running", startedAt: record.startedAt ?? e.time, finishedAt: null, error: null });
    else if (isTerminal(e)) {
      save({
        status: STATUS_AFTER[e.type] ?? "failed",
        finishedAt: e.time,
        error: e.type === "error" || e.type === "diverged" ? e.message : e.type === "aborted" ? e.reason : null,
      });
      // A done run's results come next.
      if (e.type !== "done") {
        stop();
        release();
      }
    }
  });
}
