import { Worker } from "node:worker_threads";
import { wasmThreadsFor } from "@layerlab/engine/node";
import type { TrainEvent } from "@layerlab/spec";
import type { TrainJob, TrainThreadCommand, TrainThreadData, TrainThreadMessage } from "./thread-messages";

/** The training thread's entry: a bootstrap that loads train-thread.ts from its cached bundle. */
const THREAD_URL = new URL("./train-thread-boot.mjs", import.meta.url);

/** How a job ended in its thread: null refusal when the runner ended it (its terminal event was posted). */
export interface JobEnd {
  refusal: string | null;
}

/** A training thread that trains one job at a time. */
export class TrainThread {
  readonly #worker: Worker;
  #current: { onEvent: (e: TrainEvent) => void; end: (r: JobEnd) => void } | null = null;
  #alive = true;

  constructor(readonly wasmThreads: number) {
    this.#worker = new Worker(THREAD_URL, { workerData: { wasmThreads } satisfies TrainThreadData });
    this.#worker.on("message", (m: TrainThreadMessage) => {
      if (m.type === "event") this.#current?.onEvent(m.event);
      else this.#finish({ refusal: m.type === "refused" ? m.message : null });
    });
    let crash: string | null = null;
    this.#worker.on("error", (err) => {
      crash = `the training thread crashed: ${err.message}`;
    });
    this.#worker.on("exit", () => {
      this.#alive = false;
      this.#finish({ refusal: crash ?? "the training thread stopped before the run finished" });
    });
  }

  /** Whether it can take another job. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Trains a job; resolves when it has ended, or when the thread has died under it. */
  run(job: TrainJob, onEvent: (e: TrainEvent) => void): Promise<JobEnd> {
    if (this.#current) throw new Error("this training thread is busy");
    return new Promise((end) => {
      this.#current = { onEvent, end };
      this.#worker.postMessage({ type: "train", job } satisfies TrainThreadCommand);
    });
  }

  /** Asks the current job to stop at its next batch (the runner then ends it `aborted`). */
  abort(reason: string): void {
    this.#worker.postMessage({ type: "abort", reason } satisfies TrainThreadCommand);
  }

  /** Ends the thread at once, and with it the current job. */
  terminate(): void {
    void this.#worker.terminate();
  }

  #finish(end: JobEnd): void {
    const current = this.#current;
    this.#current = null;
    current?.end(end);
  }
}

/**
 * Loaded training threads kept for the next claim: starting one (loading the
 * runner and jax-js) costs seconds, a run of a small model often less.
 * Threads are matched by the Wasm threads their model wants.
 */
export class TrainThreadPool {
  readonly #idle: TrainThread[] = [];

  constructor(readonly maxIdle: number) {}

  /** A thread for a model: an idle one that suits it, or a new one. */
  take(spec: unknown): TrainThread {
    const wasmThreads = wasmThreadsFor(spec as { layers: { kind: string }[] });
    const i = this.#idle.findIndex((t) => t.alive && t.wasmThreads === wasmThreads);
    if (i >= 0) return this.#idle.splice(i, 1)[0]!;
    return new TrainThread(wasmThreads);
  }

  /** Takes a thread back after its job; one too many, or dead, is ended. */
  give(thread: TrainThread): void {
    if (!thread.alive) return;
    if (this.#idle.length >= this.maxIdle) this.#idle.shift()?.terminate();
    this.#idle.push(thread);
  }
}
