import { stat } from "node:fs/promises";
import { join } from "node:path";
import {
  type DatasetRef,
  isRunFolder,
  loadDatasetRefKeepingBuiltin,
  RUN_FILES,
  resumeRun,
  startRun,
} from "@layerlab/runner";
import type { TrainEvent, TrainingConfigInput } from "@layerlab/spec";
import { dataDirName } from "../disk-full";
import { releaseDiskReserve } from "./disk-reserve";
import type { JobInput } from "./job-types";

/*
 * The ONE module that turns a job into a run folder, inside a job worker
 * thread. The runner owns the folder format (the same as the CLI's): this
 * only picks startRun or resumeRun and reports what the folder now holds.
 * It imports jax-js (through the runner), so the worker loads it dynamically,
 * after deciding on Wasm threads.
 */

/** What the worker is told while a job runs. */
export interface JobHooks {
  signal: AbortSignal;
  onEvent(event: TrainEvent): void;
  onArtifact(name: string, bytes: number): void;
}

/** Events after which files of the folder have changed. */
const FILE_EVENTS = new Set<TrainEvent["type"]>(["checkpoint", "done", "aborted", "error", "diverged"]);

/** Reports every run file that exists, with its size. */
async function reportArtifacts(dir: string, onArtifact: JobHooks["onArtifact"]): Promise<void> {
  for (const name of Object.values(RUN_FILES)) {
    const info = await stat(join(dir, name)).catch(() => null);
    if (info?.isFile()) onArtifact(name, info.size);
  }
}

/**
 * Trains one run into its folder: `startRun` for a folder without run.json,
 * `resumeRun` otherwise (an interrupted run, or one queued again after a
 * restart). Resolves when the run has ended in any way (training failures
 * end as an `error` event); rejects, with the fix in the message, only when
 * the runner refuses the job before training starts.
 */
export async function runJob(input: JobInput, hooks: JobHooks): Promise<void> {
  const dir = input.runDir;
  let sync = Promise.resolve();
  const controls = {
    signal: hooks.signal,
    diskName: dataDirName(input.dataDir),
    // Frees the space the queue set aside, so that the run's failure can still be written down.
    onDiskFull: async () => {
      await releaseDiskReserve(input.dataDir);
    },
    onEvent: (event: TrainEvent) => {
      hooks.onEvent(event);
      if (FILE_EVENTS.has(event.type)) sync = sync.then(() => reportArtifacts(dir, hooks.onArtifact));
    },
  };
  const ref = input.dataset as DatasetRef;
  try {
    if (isRunFolder(dir)) {
      await resumeRun(dir, { ...controls, dataDir: input.dataDir });
    } else {
      const { dataset, preprocessing } = await loadDatasetRefKeepingBuiltin(ref, input.dataDir);
      await startRun({
        ...controls,
        dir,
        spec: input.spec,
        config: input.config as TrainingConfigInput,
        dataset,
        datasetRef: ref,
        preprocessing,
        name: input.name,
        ...(input.limit !== null && { limit: input.limit }),
      });
    }
  } catch (err) {
    const hint = (err as { hint?: string }).hint;
    throw new Error(`${(err as Error).message || String(err)}${hint ? `; ${hint}` : ""}`);
  } finally {
    await sync;
    await reportArtifacts(dir, hooks.onArtifact);
  }
}
