import type { TrainEvent } from "@layerlab/spec";

/** Where a job's dataset comes from; never a client-sent path. */
export type JobDataset = { kind: "builtin"; name: string } | { kind: "saved"; id: string };

/** Everything a worker needs to train one run (structured-clone safe). */
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

/** Messages a job worker posts to the server. */
export type WorkerMessage =
  | { type: "event"; event: TrainEvent }
  | { type: "artifact"; name: string; bytes: number }
  /** `wasmThreads`: how many Wasm worker threads jax-js started for this job (0: it ran single-threaded). */
  | { type: "finished"; wasmThreads: number }
  | { type: "crashed"; message: string };

/** Messages the server posts to a job worker. */
export type ServerMessage = { type: "abort"; reason: string };
