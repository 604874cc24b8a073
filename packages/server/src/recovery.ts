import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { savedDatasetPath } from "@layerlab/data-node";
import { isRunFolder, jsonText, RUN_FILES, type RunInfo, readRunInfo, writeRunFile } from "@layerlab/runner";
import { TrainEvent } from "@layerlab/spec";
import type { Registry } from "./db/registry";
import type { RunStatus } from "./db/schema";
import { applyEvents } from "./events/apply-events";
import { EventHub } from "./events/hub";
import { jobInputFor } from "./jobs/job-input";
import { matchRunJsonStatus } from "./jobs/run-json-status";
import type { RunQueue } from "./jobs/run-queue";
import { uploadsDir } from "./routes/datasets";
import { resolveDataset } from "./runs/dataset-info";
import { isRunId, runDir, runsRoot } from "./runs/run-files";

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Removes `*.tmp` files (half-written by a killed process) under a folder, recursively. */
async function removeTempFiles(dir: string, removed: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await removeTempFiles(path, removed);
    else if (entry.name.endsWith(".tmp") || entry.name.includes(".tmp-")) {
      await rm(path, { force: true });
      removed.push(path);
    }
  }
}

/** Events of events.jsonl, skipping a torn last line. */
async function eventsFromFile(dir: string): Promise<TrainEvent[]> {
  const text = await readFile(join(dir, "events.jsonl"), "utf8").catch(() => "");
  const events: TrainEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const parsed = TrainEvent.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // a line cut by the kill
    }
  }
  return events;
}

/**
 * Rewrites run.json of a folder whose training process died so that it says
 * `interrupted`, as the registry does; returns the epochs its last complete
 * checkpoint holds and whether run.json changed (null without a run.json).
 */
async function markFolderInterrupted(dir: string): Promise<{ epochsDone: number; rewritten: boolean } | null> {
  if (!isRunFolder(dir)) return null;
  const info = await readRunInfo(dir).catch(() => null);
  if (!info) return null;
  const rewritten = info.status === "running" || info.status === "queued";
  if (rewritten) await writeRunFile(dir, RUN_FILES.run, jsonText({ ...info, status: "interrupted", pid: null }));
  return { epochsDone: info.epochsDone, rewritten };
}

/**
 * Statuses a server run can reach while its run.json still says otherwise:
 * the runner ended it failed after a write found the disk full (so run.json
 * could not be rewritten), or the server recorded a failure or abort for a
 * job thread that stopped. Every other end is written to run.json first.
 */
const ENDED_WITHOUT_RUNNER: RunStatus[] = ["failed", "aborted"];

/** run.json of a folder when it says the run ended (not running, queued or interrupted). */
async function endedInFolder(dir: string): Promise<RunInfo | null> {
  if (!isRunFolder(dir)) return null;
  const info = await readRunInfo(dir).catch(() => null);
  return info && !["running", "queued", "interrupted"].includes(info.status) ? info : null;
}

/**
 * Makes the registry and the files agree after a crash or kill, and returns
 * one line per repair: temporary files removed, events the files have but
 * the registry lacks restored, running runs marked interrupted, queued server
 * runs queued again, folders without a run and runs without a folder resolved.
 */
export async function recoverOnStart(ctx: { registry: Registry; jobs: RunQueue; dataDir: string }): Promise<string[]> {
  const { registry, jobs, dataDir } = ctx;
  const repairs: string[] = [];
  const removed: string[] = [];
  await removeTempFiles(runsRoot(dataDir), removed);
  await removeTempFiles(join(dataDir, "datasets"), removed);
  for (const f of await listDir(uploadsDir(dataDir))) {
    await rm(join(uploadsDir(dataDir), f), { recursive: true, force: true });
    removed.push(join(uploadsDir(dataDir), f));
  }
  for (const path of removed) repairs.push(`removed leftover temporary file ${path}`);

  const ids = new Set(await registry.allRunIds());
  for (const name of await listDir(runsRoot(dataDir))) {
    if (!ids.has(name)) {
      await rm(join(runsRoot(dataDir), name), { recursive: true, force: true });
      repairs.push(`removed run folder ${name}, which the registry does not know (a deletion cut short)`);
    }
  }
  const silent = new EventHub();
  for (const run of await registry.runsWithStatus(["running", "queued", "interrupted"])) {
    if (run.executor !== "server" || !isRunId(run.id)) continue;
    // A `layerlab worker` trains it and goes on doing so while this server restarts; silence hands it on.
    if (run.status === "running" && run.worker !== null && run.lease !== null) continue;
    const dir = runDir(dataDir, run.id);
    const last = await registry.lastEventSeq(run.id);
    const missing = (await eventsFromFile(dir)).filter((e) => e.seq > last);
    if (missing.length) {
      await applyEvents(registry, silent, run.id, missing);
      repairs.push(`run ${run.id}: restored ${missing.length} event(s) from events.jsonl`);
    }
    const now = await registry.getRun(run.id);
    const ended = now?.status === "running" ? await endedInFolder(dir) : null;
    if (now && ended) {
      // The run ended, but the registry could not record it (a full disk refused the write): the folder knows.
      await registry.transitionRun(run.id, ["running"], ended.status, {
        error: ended.message,
        finished_at: Date.parse(ended.timings.finishedAt ?? "") || Date.now(),
        epochs_done: ended.epochsDone,
      });
      repairs.push(`run ${run.id}: had ended ${ended.status} (run.json says so); the registry now agrees`);
    } else if (now?.status === "running") {
      await registry.transitionRun(run.id, ["running"], "interrupted");
      // An epoch whose checkpoint the kill cut short is trained again on resume, so it is not done.
      const folder = await markFolderInterrupted(dir);
      await registry.updateRun(run.id, { epochs_done: folder?.epochsDone ?? 0 });
      repairs.push(
        `run ${run.id}: was running when the server stopped; marked interrupted (POST /api/runs/${run.id}/resume)`,
      );
    } else if (now?.status === "interrupted") {
      // Stopped by a clean shutdown: the registry knows, but run.json still names the dead process.
      const folder = await markFolderInterrupted(dir);
      if (folder) await registry.updateRun(run.id, { epochs_done: folder.epochsDone });
      if (folder?.rewritten) repairs.push(`run ${run.id}: run.json marked interrupted, as the registry has it`);
    } else if (now?.status === "queued") {
      const dataset = await resolveDataset(registry, now.dataset).catch(() => null);
      if (!dataset) {
        await registry.transitionRun(run.id, ["queued"], "failed", { error: `dataset ${now.dataset} is gone` });
        repairs.push(`run ${run.id}: its dataset ${now.dataset} is gone; marked failed`);
        continue;
      }
      await jobs.enqueue(jobInputFor(now, dataDir, dataset.source));
      repairs.push(`run ${run.id}: queued again`);
    }
  }
  for (const run of await registry.runsWithStatus(ENDED_WITHOUT_RUNNER)) {
    if (run.executor !== "server" || !isRunId(run.id)) continue;
    const rewritten = await matchRunJsonStatus(runDir(dataDir, run.id), run.status, run.error).catch((err: Error) => {
      repairs.push(`run ${run.id}: run.json cannot be marked ${run.status} (${err.message})`);
      return false;
    });
    if (rewritten) repairs.push(`run ${run.id}: run.json marked ${run.status}, as the registry has it`);
  }
  for (const d of await registry.listDatasets()) {
    const exists = await readFile(savedDatasetPath(dataDir, d.id)).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await registry.deleteDataset(d.id);
      repairs.push(`dataset ${d.id}: its file is missing; removed from the registry`);
    }
  }
  const known = new Set((await registry.listDatasets()).map((d) => `${d.id}.lldata`));
  for (const f of await listDir(join(dataDir, "datasets"))) {
    if (f.endsWith(".lldata") && !known.has(f)) {
      await rm(join(dataDir, "datasets", f), { force: true });
      repairs.push(`removed dataset file ${f}, which the registry does not know`);
    }
  }
  return repairs;
}
