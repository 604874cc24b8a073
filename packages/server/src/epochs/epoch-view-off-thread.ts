import { Worker } from "node:worker_threads";
import type { Normalization } from "@layerlab/data-core";

const WORKER_URL = new URL("./epoch-view-worker-boot.mjs", import.meta.url);

/** What an epoch view is computed from (structured-cloneable). */
export interface EpochViewJob {
  /** The run's spec.json text. */
  specText: string;
  /** The epoch's checkpoint. */
  weightsPath: string;
  normalization: Normalization;
  /** A LAYERLAB-DATASET-1 file whose test split is used. */
  testSplitPath: string;
  /** Changes whenever the test split file is replaced, so the thread reads it again. */
  testSplitIdentity: string;
  /** Test images whose probabilities are wanted. */
  sampleIndices: number[];
  /** The confusion matrix counts the first this many test images. */
  limit: number;
}

/** What the thread computed: the followed images' probabilities and the metrics on the first test images. */
export interface EpochViewResult {
  sampleProbabilities: Float32Array;
  confusion: number[][];
  count: number;
  accuracy: number;
  loss: number;
}

/** A job as posted to the thread, and its answer (or why there is none). */
export type EpochViewRequest = { id: number; job: EpochViewJob };
export type EpochViewOutcome = { id: number } & (({ ok: true } & EpochViewResult) | { ok: false; message: string });

/** How long the thread waits for the next epoch before it ends (and frees the engine's memory). */
const IDLE_MS = 60_000;

let thread: Worker | null = null;
let idle: ReturnType<typeof setTimeout> | null = null;
let nextId = 1;
const waiting = new Map<number, { resolve: (r: EpochViewResult) => void; reject: (e: Error) => void }>();

function failAll(err: Error): void {
  for (const { reject } of waiting.values()) reject(err);
  waiting.clear();
}

/** The running thread, started on first use: starting one (a loader and the engine) takes seconds, an epoch a moment. */
function threadNow(): Worker {
  if (thread) return thread;
  const worker = new Worker(WORKER_URL);
  // Never what keeps the server's process alive.
  worker.unref();
  worker.on("message", (m: EpochViewOutcome) => {
    const pending = waiting.get(m.id);
    waiting.delete(m.id);
    if (!pending) return;
    if (m.ok) pending.resolve(m);
    else pending.reject(new Error(m.message));
    if (waiting.size === 0) stopWhenIdle(worker);
  });
  worker.on("error", (err) => {
    if (thread === worker) thread = null;
    failAll(err);
  });
  worker.on("exit", (code) => {
    if (thread === worker) thread = null;
    failAll(new Error(`the epoch-view thread exited with code ${code} before answering`));
  });
  thread = worker;
  return worker;
}

function stopWhenIdle(worker: Worker): void {
  if (idle) clearTimeout(idle);
  idle = setTimeout(() => {
    if (thread === worker && waiting.size === 0) {
      thread = null;
      void worker.terminate();
    }
  }, IDLE_MS);
  idle.unref();
}

/** Starts the thread now (a page lists a run's epochs before it asks for one), to end when idle as ever. */
export function warmEpochViewThread(): void {
  const worker = threadNow();
  if (waiting.size === 0) stopWhenIdle(worker);
}

/**
 * Runs one epoch's model over the followed test images and the first test
 * images in a worker thread (a thousand images through a conv net is a second
 * or more of CPU that would stall every other request). One thread serves
 * every run, one job after another, and ends after a minute without work.
 * Rejects with the engine's error.
 */
export function epochViewOffThread(job: EpochViewJob): Promise<EpochViewResult> {
  const worker = threadNow();
  if (idle) clearTimeout(idle);
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, job } satisfies EpochViewRequest);
  });
}
