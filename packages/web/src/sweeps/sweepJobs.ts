import { fetchDatasetData, getRun } from "../api/client";
import { getStoredRun, putStoredRun, type StoredRun } from "../registry/localRunStore";
import { datasetChoiceOf } from "../registry/openRun";
import type { Studio } from "../state/studio";
import { recordLocally, reportToServer } from "../train/browserRuns";
import { trainer } from "../train/trainer";
import type { SweepJob } from "./browserSweepRunner";

/*
 * How this page trains one run of a sweep: the run registered with the server (its setup read back from the
 * registry, its events reported there as any browser run's) or kept in this browser's store. Both train
 * fresh from the run's config, whose seed is the sweep's.
 */

const LIMIT_KEY = "layerlab.sweepLimits";

/** Remembers that sweep `sweepId`'s runs train on the first `limit` samples (so a later page continues alike). */
export function rememberSweepLimit(sweepId: string, limit: number | null): void {
  try {
    const all = JSON.parse(localStorage.getItem(LIMIT_KEY) ?? "{}") as Record<string, number | null>;
    all[sweepId] = limit;
    localStorage.setItem(LIMIT_KEY, JSON.stringify(all));
  } catch {
    // Storage off: a continued sweep then trains on every sample, and says so in its runs' start events.
  }
}

/** The sample limit sweep `sweepId` was started with in this browser, null when none (or unknown). */
export function sweepLimit(sweepId: string): number | null {
  try {
    const all = JSON.parse(localStorage.getItem(LIMIT_KEY) ?? "{}") as Record<string, unknown>;
    const limit = all[sweepId];
    return typeof limit === "number" && Number.isInteger(limit) && limit > 0 ? limit : null;
  } catch {
    return null;
  }
}

/** Training options for the trainer from a sample limit. */
const limitOpt = (limit: number | null) => (limit ? { limit } : {});

/** Jobs for server-registered runs `runIds` (waiting for this browser): each reads its setup from the registry. */
export function serverSweepJobs(runIds: readonly string[], limit: number | null): SweepJob[] {
  // One download of a server dataset for the whole sweep (the worker gets a copy per run).
  const data = new Map<string, Promise<ArrayBuffer>>();
  const dataOf = (id: string) => {
    if (!data.has(id)) data.set(id, fetchDatasetData(id));
    return data.get(id)!;
  };
  return runIds.map((runId) => ({
    runId,
    start: async () => {
      const detail = await getRun(runId);
      if (detail.status !== "queued") throw new Error(`run ${detail.name} is ${detail.status}, not waiting to train`);
      const studio: Studio = {
        spec: detail.spec,
        config: detail.config,
        dataset: datasetChoiceOf(detail.dataset, detail.spec),
      };
      const serverData = studio.dataset.kind === "server" ? await dataOf(studio.dataset.id) : undefined;
      trainer.start(studio, {
        id: runId,
        name: detail.name,
        ...limitOpt(limit),
        ...(serverData ? { serverData } : {}),
      });
      trainer.setRegistry(runId, { registered: "server" });
      reportToServer(runId);
    },
  }));
}

/** Jobs for runs `runIds` kept in this browser's store: each starts over from its config (a run cut short included). */
export function localSweepJobs(runIds: readonly string[], limit: number | null): SweepJob[] {
  return runIds.map((runId) => ({
    runId,
    start: async () => {
      const stored = await getStoredRun(runId);
      if (!stored) throw new Error(`this browser keeps no run ${runId}; it was deleted`);
      const fresh: StoredRun = {
        ...stored,
        status: "queued",
        events: [],
        results: null,
        resumePoint: null,
        startedAt: null,
        finishedAt: null,
        error: null,
      };
      await putStoredRun(fresh);
      trainer.start(stored.studio, { id: runId, name: stored.name, ...limitOpt(limit) });
      trainer.setRegistry(runId, { registered: "local" });
      recordLocally(fresh);
    },
  }));
}
