import type { ClaimDataset } from "@layerlab/api";
import type { TrainEvent } from "@layerlab/spec";

/** What a training thread is started with. */
export interface TrainThreadData {
  /** Wasm threads jax-js gets in this thread (fixed before it loads, so one thread serves models that want as many). */
  wasmThreads: number;
}

/** One run for a training thread: a prepared run folder, and the run to start there when it holds none yet. */
export interface TrainJob {
  dir: string;
  dataDir: string;
  name: string;
  spec: unknown;
  config: unknown;
  dataset: ClaimDataset;
  limit: number | null;
}

/** Messages a training thread posts. */
export type TrainThreadMessage =
  | { type: "event"; event: TrainEvent }
  /** The job ended (its terminal event was posted before) and the folder is final; the thread takes the next. */
  | { type: "finished" }
  /** The runner refused the job before training (the message says why and what to do). */
  | { type: "refused"; message: string };

/** Messages posted to a training thread: a job (one at a time), or a stop of the current one. */
export type TrainThreadCommand = { type: "train"; job: TrainJob } | { type: "abort"; reason: string };
