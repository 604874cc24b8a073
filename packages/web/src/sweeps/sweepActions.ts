import { sweepReportHtml } from "@layerlab/report/sweep";
import { abortSweep, deleteSweep, getSweep, type SweepView } from "../api/client";
import { deleteStoredRun, getStoredRun, putStoredRun } from "../registry/localRunStore";
import { forgetServerRun } from "../train/serverRuns";
import { trainer } from "../train/trainer";
import { hasTrainingLocks, runsTrainedNowhere } from "../train/trainingLocks";
import { stopSweepHere, trainSweepHere } from "./browserSweepRunner";
import { deleteStoredSweep, getStoredSweep, isLocalSweepId } from "./localSweepStore";
import { localSweepView } from "./localSweepView";
import { localSweepJobs, serverSweepJobs, sweepLimit } from "./sweepJobs";

/*
 * What the sweep page's buttons do, for a server's sweep and for one kept in this browser alike: stop it,
 * train its waiting runs here, delete it with its runs, and save its report.
 */

/** How long a delete waits for stopped server runs to settle before it tries anyway. */
const SETTLE_MS = 30_000;

/** Stops every run of the sweep still to finish: the one this page trains, and those queued. */
export async function stopSweep(view: SweepView): Promise<void> {
  await stopSweepHere(view.id);
  if (!isLocalSweepId(view.id)) {
    await abortSweep(view.id);
    return;
  }
  for (const r of view.runs.filter((x) => x.run.status === "queued")) {
    const stored = await getStoredRun(r.run.id);
    if (stored) await putStoredRun({ ...stored, status: "aborted", error: "the sweep was stopped" });
  }
}

/** Trains the sweep's runs that wait for a browser here, one after another (a sweep whose page was closed). */
export async function continueSweepHere(view: SweepView): Promise<void> {
  const waiting = view.runs.filter((r) => r.run.status === "queued").map((r) => r.run.id);
  if (waiting.length === 0) return;
  if (isLocalSweepId(view.id)) {
    const record = await getStoredSweep(view.id);
    void trainSweepHere(view.id, localSweepJobs(waiting, record?.limit ?? null));
  } else {
    void trainSweepHere(view.id, serverSweepJobs(waiting, sweepLimit(view.id)));
  }
}

/** Deletes the sweep and every run of it, stopping what still trains first. */
export async function deleteWholeSweep(view: SweepView): Promise<void> {
  const open = view.runs.some((r) => r.run.status === "queued" || r.run.status === "running");
  if (open) await stopSweep(view);
  if (isLocalSweepId(view.id)) {
    // A stopped run's last state is still being saved: deleted before that save lands, it would come back.
    await untilSettled(view.runs.map((r) => r.run.id));
    for (const r of view.runs) await deleteStoredRun(r.run.id);
    await deleteStoredSweep(view.id);
    return;
  }
  // A run this page trained is deleted once its last events and files have reached the server, not while
  // they still arrive (its reporter holds the run's training lock until then).
  await untilReported(view.runs.map((r) => r.run.id));
  // The server refuses to delete a run its queue still trains: wait for the stopped runs to settle.
  const deadline = Date.now() + SETTLE_MS;
  while (open && Date.now() < deadline) {
    const now = await getSweep(view.id);
    if (!now.runs.some((r) => r.run.status === "running" && r.run.executor === "server")) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await deleteSweep(view.id);
  for (const r of view.runs) forgetServerRun(r.run.id);
}

/** Waits (seconds at most) until no page of this browser reports any run of `runIds` to the server. */
async function untilReported(runIds: readonly string[]): Promise<void> {
  if (!hasTrainingLocks()) return;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && (await runsTrainedNowhere(runIds)).length < runIds.length) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits (a few seconds at most) until no run of `runIds` is stored as queued or running. */
async function untilSettled(runIds: readonly string[]): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const runs = await Promise.all(runIds.map((id) => getStoredRun(id)));
    if (!runs.some((r) => r && (r.status === "queued" || r.status === "running"))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Saves the report of a sweep kept in this browser (a server's sweep links to the server's report instead). */
export function downloadLocalSweepReport(view: SweepView): void {
  const html = sweepReportHtml(view, { source: "a sweep trained and kept in this browser" });
  const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `${view.name.replace(/[^\w.-]+/g, "_")}-report.html`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Deletes sweep `id` (a server's or this browser's) with its runs, reading it first. */
export async function deleteSweepById(id: string): Promise<void> {
  if (!isLocalSweepId(id)) {
    await deleteWholeSweep(await getSweep(id));
    return;
  }
  const record = await getStoredSweep(id);
  if (!record) return;
  const runs = await Promise.all(record.runs.map((r) => getStoredRun(r.id)));
  const stored = new Map(runs.flatMap((r) => (r ? [[r.id, r] as const] : [])));
  const { view } = localSweepView(record, stored, trainer.getState().runs, (runId) => trainer.isTraining(runId));
  await deleteWholeSweep(view);
}
