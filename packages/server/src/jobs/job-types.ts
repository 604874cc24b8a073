import type { TrainEvent } from "@layerlab/spec";

/** Where a job's dataset comes from; never a client-sent path. */
export type JobDataset = { kind: "builtin"; name: string } | { kind: "saved"; id: string };

/** Everything a job thread needs to train one run (structured-clone safe). */
export interface JobInput {
  runId: string;
  /** The run folder, created by the server under DATA_DIR/runs. */
  runDir: string;
  dataDir: string;
  /** The run's name, recorded in run.json. */
  name: string;
  spec: unknown;
  config: unknown;
  dataset: JobDataset;
  /** Train on the first N training samples only. */
  limit: number | null;
}

/** Messages a job thread posts to the server about its current job. */
export type WorkerMessage =
  | { type: "event"; event: TrainEvent }
  | { type: "artifact"; name: string; bytes: number }
  /**
   * `wasmThreads`: how many Wasm worker threads jax-js started in this thread so far (0: it ran single-threaded);
   * `kernelHelpers`: how many helper threads the engine's own conv kernels started (0: none ran, or on one core).
   */
  | { type: "finished"; wasmThreads: number; kernelHelpers: number }
  | { type: "crashed"; message: string };

/** What a job thread starts with: the Wasm threads jax-js gets there, fixed for the thread's life. */
export interface JobThreadData {
  wasmThreads: number;
}

/** Messages the server posts to a job thread: a job to train (one at a time), or a stop for the current one. */
export type ServerMessage = { type: "train"; input: JobInput } | { type: "abort"; reason: string };
