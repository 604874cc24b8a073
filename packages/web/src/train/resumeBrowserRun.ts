import { ApiError, fetchDatasetData, fetchRunFile, getRun, lastRecordedSeq, resumeServerRun } from "../api/client";
import { getStoredRun, putStoredRun, type StoredRun } from "../registry/localRunStore";
import { datasetChoiceOf, isLocalRunId } from "../registry/openRun";
import type { Studio } from "../state/studio";
import { recordLocally, reportToServer } from "./browserRuns";
import { browserResumeStateOf, RESUME_POINT_FILE } from "./resumePoint";
import { detachServerRun } from "./serverRuns";
import { trainer } from "./trainer";

/*
 * Resuming a browser run in this tab: its resume point (the last epoch end's
 * weights, optimizer state and progress) is loaded into this tab's worker,
 * which trains on from the next epoch with the run's seed, so it ends with the
 * weights an uninterrupted run has. Its events continue the run's seqs, and
 * its time counts every session's.
 */

/** Statuses a browser run resumes from. */
const RESUMABLE = ["interrupted", "aborted", "failed"];

const noResumePoint = (name: string) =>
  new Error(`run ${name} stopped before its first epoch ended, so there is nothing to resume from — train a new copy`);

/** Resumes interrupted, aborted or failed browser run `id` (registered with the server or kept in this browser) in this tab. */
export function resumeBrowserRun(id: string): Promise<void> {
  return isLocalRunId(id) ? resumeStoredRun(id) : resumeRegisteredRun(id);
}

/** The dataset bytes a run on a server dataset trains on (generated shapes need none). */
async function serverDataOf(studio: Studio): Promise<{ serverData?: ArrayBuffer }> {
  return studio.dataset.kind === "server" ? { serverData: await fetchDatasetData(studio.dataset.id) } : {};
}

async function resumeRegisteredRun(id: string): Promise<void> {
  const detail = await getRun(id);
  if (detail.executor !== "browser") throw new Error(`run ${detail.name} is not a browser run`);
  if (!RESUMABLE.includes(detail.status))
    throw new Error(`run ${detail.name} is ${detail.status}; only ${RESUMABLE.join(", ")} runs can be resumed`);
  const point = await fetchRunFile(id, RESUME_POINT_FILE).catch((err: unknown) => {
    throw err instanceof ApiError && err.status === 404 ? noResumePoint(detail.name) : err;
  });
  const state = browserResumeStateOf(point);
  // The setup this tab trained it with, or the registry's (the server's shapes are the page's default shapes).
  const held = trainer.getState().runs.find((r) => r.id === id);
  const studio: Studio =
    held?.where === "browser"
      ? held.studio
      : { spec: detail.spec, config: detail.config, dataset: datasetChoiceOf(detail.dataset, detail.spec) };
  const data = await serverDataOf(studio);
  // Queued again for this browser; the worker's start event (seqs continuing) makes it running.
  await resumeServerRun(id);
  const firstSeq = (await lastRecordedSeq(id)) + 1;
  detachServerRun(id);
  trainer.start(studio, {
    id,
    name: detail.name,
    ...data,
    ...(state.limit ? { limit: state.limit } : {}),
    resume: { point, firstSeq },
  });
  trainer.setRegistry(id, { registered: "server", registryStatus: "queued" });
  reportToServer(id);
}

async function resumeStoredRun(id: string): Promise<void> {
  const stored = await getStoredRun(id);
  if (!stored) throw new Error(`this browser keeps no run ${id}; it was deleted, or trained in another browser`);
  const held = trainer.getState().runs.find((r) => r.id === id);
  if (held?.where === "browser" && trainer.isTraining(id))
    throw new Error(`run ${stored.name} is training in this tab`);
  // Unfinished in the store but not training here: its page is gone.
  const status = stored.status === "running" || stored.status === "queued" ? "interrupted" : stored.status;
  if (!RESUMABLE.includes(status))
    throw new Error(`run ${stored.name} is ${status}; only ${RESUMABLE.join(", ")} runs can be resumed`);
  if (!stored.resumePoint) throw noResumePoint(stored.name);
  const state = browserResumeStateOf(stored.resumePoint);
  const data = await serverDataOf(stored.studio);
  if (!held) {
    trainer.watch({ id, name: stored.name, where: "browser", studio: stored.studio, registered: "local" });
    for (const e of stored.events) trainer.pushEvent(id, e);
  }
  const record: StoredRun = { ...stored, status: "queued", finishedAt: null, error: null, results: null };
  await putStoredRun(record);
  const firstSeq = stored.events.reduce((last, e) => Math.max(last, e.seq), -1) + 1;
  trainer.start(stored.studio, {
    id,
    name: stored.name,
    ...data,
    ...(state.limit ? { limit: state.limit } : {}),
    // A copy: the worker takes the bytes it is sent.
    resume: { point: stored.resumePoint.slice(), firstSeq },
  });
  trainer.setRegistry(id, { registered: "local", registryStatus: "queued" });
  recordLocally(record);
}
