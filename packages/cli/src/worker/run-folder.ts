import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { LEASE_HEADER, type WorkerClaim } from "@layerlab/api";
import { savedDatasetPath, writeFileAtomic } from "@layerlab/data-node";
import { jsonText, RUN_FILES, readRunInfo, writeRunFile } from "@layerlab/runner";
import { analyzeSpec, type TrainEvent } from "@layerlab/spec";
import type { ServerClient } from "./server-client";

/** Where a worker keeps the folder of a run it trains: DATA_DIR/worker-runs/<run id>. */
export function workerRunDir(dataDir: string, runId: string): string {
  return join(dataDir, "worker-runs", runId);
}

/**
 * Makes the local folder a claim trains in. A fresh folder every time (what
 * an earlier claim of this run left here may be older than the server's
 * copy). For a run another holder began: the files it uploaded, the event
 * log as the server has it (so the resumed run numbers its events on after
 * the server's last one), spec.json, and run.json marked interrupted (its
 * pid belongs to another machine).
 */
export async function prepareRunFolder(client: ServerClient, claim: WorkerClaim, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const lease = { [LEASE_HEADER]: claim.lease };
  for (const name of claim.resumeFiles) {
    if (name === RUN_FILES.events) continue;
    const res = await client.request(`/api/runs/${claim.runId}/artifacts/${name}`, { method: "GET", headers: lease });
    await writeFileAtomic(join(dir, name), [new Uint8Array(await res.arrayBuffer())]);
  }
  if (claim.lastSeq >= 0) {
    const events = await storedEvents(client, claim.runId);
    await writeRunFile(dir, RUN_FILES.events, events.map((e) => `${JSON.stringify(e)}\n`).join(""));
  }
  if (!existsSync(join(dir, RUN_FILES.run))) return;
  await writeRunFile(dir, RUN_FILES.spec, jsonText(analyzeSpec(claim.spec).spec ?? claim.spec));
  const info = await readRunInfo(dir);
  await writeRunFile(dir, RUN_FILES.run, jsonText({ ...info, status: "interrupted", pid: null }));
}

/** Every event the server holds for a run, in order (its history as Server-Sent Events). */
export async function storedEvents(client: ServerClient, runId: string): Promise<TrainEvent[]> {
  const res = await client.request(`/api/runs/${runId}/events?mode=history`, { method: "GET" });
  const events: TrainEvent[] = [];
  for (const block of (await res.text()).split("\n\n")) {
    const lines = block.split("\n");
    if (lines.some((l) => l === "event: end")) break;
    const data = lines.find((l) => l.startsWith("data: "));
    if (data) events.push(JSON.parse(data.slice(6)) as TrainEvent);
  }
  return events;
}

/** Downloads a saved dataset into the worker's data folder, where the runner loads it, unless it is there. */
export async function ensureDataset(client: ServerClient, dataDir: string, dataset: WorkerClaim["dataset"]) {
  if (dataset.kind !== "saved") return;
  const path = savedDatasetPath(dataDir, dataset.id);
  if (existsSync(path)) return;
  const res = await client.request(`/api/datasets/${encodeURIComponent(dataset.id)}/data`, { method: "GET" });
  await writeFileAtomic(path, [new Uint8Array(await res.arrayBuffer())]);
}
