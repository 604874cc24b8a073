import { ApiError, interruptBrowserRun } from "../api/client";
import { hasLocalStore, listStoredRuns, putStoredRun } from "../registry/localRunStore";
import { trainer } from "./trainer";
import { listedTrainingRuns, runsTrainedNowhere, unlistTrainingRun } from "./trainingLocks";

/*
 * A browser run trains in the page that started it. When that page closes or
 * reloads mid-run, nothing tells the registry, so a later page of the same
 * browser does: a run this browser was training that no page of it holds the
 * training lock of (trainingLocks.ts) is marked interrupted, in the server's
 * registry or in this browser's store, and can then be resumed. A run trained
 * by another browser is never touched: its ids are not in this browser's list.
 */

let settled: Promise<void> | null = null;

/** Marks this browser's runs whose page is gone interrupted; done once per page load, later calls wait for it. */
export function settleOrphanedRuns(): Promise<void> {
  settled ??= markOrphansInterrupted().catch(() => undefined);
  return settled;
}

async function markOrphansInterrupted(): Promise<void> {
  for (const id of await runsTrainedNowhere(listedTrainingRuns())) {
    try {
      await interruptBrowserRun(id);
      unlistTrainingRun(id);
    } catch (err) {
      // 409: it ended after all (its last events arrived); 404: deleted. Unreachable server: try on the next load.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) unlistTrainingRun(id);
    }
  }
  if (!hasLocalStore()) return;
  const trainingHere = new Set(
    trainer
      .getState()
      .runs.filter((r) => r.where === "browser")
      .map((r) => r.id),
  );
  const unfinished = (await listStoredRuns()).filter(
    (r) => (r.status === "running" || r.status === "queued") && !trainingHere.has(r.id),
  );
  const orphans = new Set(await runsTrainedNowhere(unfinished.map((r) => r.id)));
  for (const run of unfinished) if (orphans.has(run.id)) await putStoredRun({ ...run, status: "interrupted" });
}
