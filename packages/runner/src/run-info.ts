import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Normalization } from "@layerlab/data-core";
import type { LayerCost } from "@layerlab/spec";
import type { DatasetRef, Preprocessing } from "./datasets";
import type { RunEnvironment } from "./environment";
import { RUN_FILES, RunFolderError, readRunJson } from "./files";

/** A run's life: `queued → running → succeeded | failed | aborted | diverged | interrupted`. */
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "aborted" | "diverged" | "interrupted";

/** run.json: what a run is, where it stands, and what predict needs to use it. */
export interface RunInfo {
  format: "layerlab.run/1";
  id: string;
  name: string;
  status: RunStatus;
  /** Why the run stopped, for a person (abort reason, error or divergence advice). */
  message: string | null;
  dataset: { name: string; shape: [number, number, number]; classes: string[]; ref: DatasetRef };
  /** Train on the first N training samples only (null: all). */
  limit: number | null;
  /** `configFingerprint(spec, config, {dataset})`: equal fingerprints train the same model the same way. */
  fingerprint: string;
  normalization: Normalization;
  preprocessing: Preprocessing;
  epochs: number;
  /** Epochs whose checkpoint is complete; a resume starts after them. */
  epochsDone: number;
  /** Best validation metric so far (by `earlyStopping.metric`, else val_loss), null without validation. */
  bestMetric: number | null;
  bestEpoch: number | null;
  testLoss: number | null;
  testAccuracy: number | null;
  timings: {
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    /** Sum of the epochs' seconds (training + validation). */
    trainSeconds: number;
    /** Wall time of every session of this run together. */
    wallSeconds: number;
  };
  environment: RunEnvironment;
  /** Largest resident memory of the training process so far (absent in runs from before it was recorded). */
  resources?: { peakRssBytes: number };
  /** Each layer's parameters, activation memory and times, and inference latency, measured when training started (absent when not measured). */
  layerCost?: LayerCost;
  /** Process that is training the run now, to refuse a second resume of the same folder. */
  pid: number | null;
}

/** Reads run.json of a run folder. */
export async function readRunInfo(dir: string): Promise<RunInfo> {
  const info = await readRunJson<RunInfo>(dir, RUN_FILES.run);
  if (info.format !== "layerlab.run/1") {
    throw new RunFolderError(`${join(dir, RUN_FILES.run)} is not a LayerLab run record`, "point at a run folder");
  }
  return info;
}

/** Whether `dir` holds a run (a run.json). */
export function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, RUN_FILES.run));
}

/** Every run folder directly under `root` (and `root` itself when it is one), newest first. */
export async function listRuns(root: string): Promise<{ dir: string; info: RunInfo }[]> {
  if (!existsSync(root)) return [];
  const dirs = isRunFolder(root) ? [root] : [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory() && isRunFolder(join(root, entry.name))) dirs.push(join(root, entry.name));
  }
  const runs: { dir: string; info: RunInfo }[] = [];
  for (const dir of dirs) {
    // A folder being created right now, or damaged, is left out rather than failing the listing.
    const info = await readRunInfo(dir).catch(() => null);
    if (info) runs.push({ dir, info });
  }
  return runs.sort((a, b) => b.info.timings.createdAt.localeCompare(a.info.timings.createdAt));
}

/** A run's status as it really is: `running` in a folder whose process has died reads as `interrupted`. */
export function effectiveStatus(info: RunInfo): RunStatus {
  if ((info.status !== "running" && info.status !== "queued") || info.pid === null) return info.status;
  if (info.pid === process.pid) return ACTIVE_RUN_IDS.has(info.id) ? info.status : "interrupted";
  try {
    process.kill(info.pid, 0);
    return info.status;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM" ? info.status : "interrupted";
  }
}

/** Ids of the runs this thread is training now (a folder of this pid not among them was left behind). */
export const ACTIVE_RUN_IDS = new Set<string>();
