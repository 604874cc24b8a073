import type { Worker } from "node:worker_threads";
import type { TrainEvent } from "@layerlab/spec";
import type { Registry } from "../db/registry";
import type { RunStatus } from "../db/schema";
import { isDiskFull } from "../disk-full";
import { applyEvents, STATUS_AFTER } from "../events/apply-events";
import type { EventHub } from "../events/hub";
import { keepDiskReserve, releaseDiskReserve } from "./disk-reserve";
import { jobThreadData, startJobThread } from "./job-thread";
import type { JobInput, ServerMessage, WorkerMessage } from "./job-types";
import { matchRunJsonStatus } from "./run-json-status";
import type { RunQueue } from "./run-queue";

/** Where the worker entry lives: a bootstrap that loads worker.ts from its cached bundle. */

/** How long an aborted job may take to stop cleanly before its thread is terminated. */
const ABORT_GRACE_MS = 10_000;

/** A job thread: trains one job at a time, with the Wasm threads it was started with. */
interface JobThread {
  worker: Worker;
  wasmThreads: number;
  alive: boolean;
}

interface Running {
  thread: JobThread;
  input: JobInput;
  /** Events received but not yet stored, in order. */
  pending: TrainEvent[];
  /** The store-and-relay chain; events of one run are applied strictly in order. */
  chain: Promise<void>;
  /** The event that ended the run, once received (stored or not). */
  terminal: TrainEvent | null;
  /** Why the runner refused the job before training, when it did. */
  refusal: string | null;
  /** Ends the thread when an aborted job does not stop in time. */
  abortTimer: NodeJS.Timeout | null;
  /** Set once the job is over: its thread may already train the next job, which an abort must not reach. */
  over: boolean;
  /** Resolves when the job is over (its thread finished it, or exited) and every event is stored. */
  exited: Promise<void>;
}

/** What the queue needs from the app. */
export interface JobQueueOptions {
  registry: Registry;
  hub: EventHub;
  maxConcurrent: number;
  log: { info(msg: string): void; error(msg: string): void };
  /**
   * Called once a job is over and its events are stored, with the event that
   * ended it (null: it was stopped by close(), so it ends interrupted).
   */
  onJobEnded?: (runId: string, terminal: TrainEvent | null) => void;
}

/**
 * Runs server jobs in worker threads, at most `maxConcurrent` at once, the
 * rest waiting in FIFO order with a visible position. A thread whose job
 * finished stays loaded for the next job that wants the same Wasm threads
 * (starting one costs seconds of CPU), with never more threads than slots.
 */
export class JobQueue implements RunQueue {
  readonly #waiting: JobInput[] = [];
  readonly #running = new Map<string, Running>();
  readonly #idle: JobThread[] = [];
  #closed = false;
  /** Making the disk reserve, one job start after another. */
  #reserve: Promise<void> = Promise.resolve();

  constructor(readonly opts: JobQueueOptions) {}

  /**
   * Adds a job; it starts at once when a slot is free. The queue is the lock
   * on a run folder (the runner cannot tell a run in another thread of this
   * process from an interrupted one), so a run already queued or training is
   * refused.
   */
  enqueue(input: JobInput): void {
    if (this.#closed) throw new Error("the job queue is shut down");
    if (this.position(input.runId) !== null) throw new Error(`run ${input.runId} is already queued or training`);
    this.#waiting.push(input);
    this.#pump();
  }

  /** 1-based position among waiting jobs, 0 when running, null when unknown to the queue. */
  position(runId: string): number | null {
    if (this.#running.has(runId)) return 0;
    const i = this.#waiting.findIndex((j) => j.runId === runId);
    return i < 0 ? null : i + 1;
  }

  /** 1-based places of waiting jobs and 0 for running ones. */
  async queuePositions(): Promise<ReadonlyMap<string, number>> {
    const places = new Map<string, number>();
    for (const id of this.#running.keys()) places.set(id, 0);
    for (const [i, job] of this.#waiting.entries()) places.set(job.runId, i + 1);
    return places;
  }

  /** How many jobs run and wait. */
  async counts(): Promise<{ running: number; queued: number }> {
    return { running: this.#running.size, queued: this.#waiting.length };
  }

  /** How many more jobs could start now. */
  get freeSlots(): number {
    return this.#closed ? 0 : Math.max(0, this.opts.maxConcurrent - this.#running.size - this.#waiting.length);
  }

  /** Ids of the runs training now. */
  runningIds(): string[] {
    return [...this.#running.keys()];
  }

  /** Number of jobs waiting for a slot. */
  get waitingCount(): number {
    return this.#waiting.length;
  }

  /**
   * Stops a job: a waiting one is dropped and recorded as aborted; a running
   * one is asked to stop (its `aborted` event follows) and terminated if it
   * does not within the grace period. Returns false when the queue does not know it.
   */
  async abort(runId: string, reason = "aborted by user"): Promise<boolean> {
    const i = this.#waiting.findIndex((j) => j.runId === runId);
    if (i >= 0) {
      this.#waiting.splice(i, 1);
      const seq = (await this.opts.registry.lastEventSeq(runId)) + 1;
      const event: TrainEvent = { seq, time: Date.now(), type: "aborted", epoch: 0, step: 0, reason };
      await applyEvents(this.opts.registry, this.opts.hub, runId, [event]);
      return true;
    }
    const running = this.#running.get(runId);
    if (!running) return false;
    // Over already: its terminal event is being stored, and its thread is no longer its own.
    if (running.over) return true;
    running.thread.worker.postMessage({ type: "abort", reason } satisfies ServerMessage);
    running.abortTimer ??= setTimeout(() => {
      if (!running.over) void this.#endThread(running.thread);
    }, ABORT_GRACE_MS);
    running.abortTimer.unref();
    return true;
  }

  /** Stops everything: waiting jobs stay queued in the registry, running ones become interrupted. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#waiting.length = 0;
    const idle = this.#idle.splice(0).map((thread) => this.#endThread(thread));
    const all = [...this.#running.values()];
    for (const r of all) void this.#endThread(r.thread);
    await Promise.all([...idle, ...all.map((r) => r.exited)]);
  }

  /** A loaded idle thread for `input`'s model, or a new one. */
  #takeThread(input: JobInput): JobThread {
    const { wasmThreads } = jobThreadData(input);
    const i = this.#idle.findIndex((t) => t.alive && t.wasmThreads === wasmThreads);
    if (i >= 0) {
      const [thread] = this.#idle.splice(i, 1);
      thread!.worker.ref();
      return thread!;
    }
    // No more threads than slots: an idle one that suits no job now makes room for this one.
    this.#trimIdle(this.opts.maxConcurrent - 1);
    const worker = startJobThread({ wasmThreads });
    const thread: JobThread = { worker, wasmThreads, alive: true };
    worker.on("exit", () => {
      thread.alive = false;
      const idle = this.#idle.indexOf(thread);
      if (idle >= 0) this.#idle.splice(idle, 1);
    });
    // Errors are logged by the job that runs on the thread; one while idle only ends it.
    worker.on("error", () => {});
    return thread;
  }

  /** Ends a thread; from now on no job is given to it. */
  #endThread(thread: JobThread): Promise<number> {
    thread.alive = false;
    return thread.worker.terminate();
  }

  /** Keeps a thread whose job finished for the next job; no more threads than slots, the longest idle ended first. */
  #keepThread(thread: JobThread): void {
    if (!thread.alive) return;
    if (this.#closed) {
      void this.#endThread(thread);
      return;
    }
    // An idle thread does not keep the process alive.
    thread.worker.unref();
    this.#idle.push(thread);
    this.#trimIdle(this.opts.maxConcurrent);
  }

  /** Ends the longest idle threads until running and idle threads number at most `most`. */
  #trimIdle(most: number): void {
    while (this.#idle.length > 0 && this.#running.size + this.#idle.length > most) {
      void this.#endThread(this.#idle.shift()!);
    }
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.opts.maxConcurrent && this.#waiting.length > 0) {
      this.#start(this.#waiting.shift()!);
    }
  }

  #start(input: JobInput): void {
    const { registry, hub, log } = this.opts;
    const thread = this.#takeThread(input);
    const { worker } = thread;
    let resolveExit!: () => void;
    const running: Running = {
      thread,
      input,
      pending: [],
      chain: Promise.resolve(),
      terminal: null,
      refusal: null,
      abortTimer: null,
      over: false,
      exited: new Promise((r) => {
        resolveExit = r;
      }),
    };
    this.#running.set(input.runId, running);
    this.#reserve = this.#reserve.then(() => keepDiskReserve(input.dataDir));
    const store = (events: TrainEvent[]) =>
      this.#withReserve(input.dataDir, () => applyEvents(registry, hub, input.runId, events)).catch((err: Error) =>
        log.error(`run ${input.runId}: storing events failed: ${err.message}`),
      );
    const flush = () => {
      running.chain = running.chain.then(() => store(running.pending.splice(0)));
    };
    const onMessage = (m: WorkerMessage) => {
      if (m.type === "event") {
        if (STATUS_AFTER[m.event.type]) running.terminal = m.event;
        // Several events arriving in one tick share one transaction.
        if (running.pending.push(m.event) === 1) queueMicrotask(flush);
      } else if (m.type === "artifact") {
        running.chain = running.chain.then(() => registry.putArtifact(input.runId, m.name, m.bytes).catch(() => {}));
      } else if (m.type === "finished") {
        const helpers = m.kernelHelpers ? `, ${m.kernelHelpers} conv kernel helpers` : "";
        log.info(`run ${input.runId}: finished (${m.wasmThreads || "no"} Wasm worker threads${helpers})`);
        end(true);
      } else if (m.type === "crashed") {
        running.refusal = m.message;
        log.error(`run ${input.runId}: the runner refused the job: ${m.message}`);
        end(true);
      }
    };
    const onError = (err: Error) => log.error(`run ${input.runId}: worker error: ${err.message}`);
    const onExit = () => end(false);
    /** The job is over: its thread finished it (and may take another) or exited under it. Runs once. */
    const end = (threadLives: boolean) => {
      running.over = true;
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      if (running.abortTimer) clearTimeout(running.abortTimer);
      running.chain = running.chain.then(async () => {
        if (running.pending.length) await store(running.pending.splice(0));
        if (!running.terminal) {
          // Killed by close() or by the abort grace timer, refused by the runner, or crashed hard.
          if (this.#closed) {
            await registry.transitionRun(input.runId, ["running", "queued"], "interrupted");
          } else {
            const base = { seq: (await registry.lastEventSeq(input.runId)) + 1, time: Date.now() };
            const e: TrainEvent =
              running.refusal !== null
                ? { ...base, type: "error", message: running.refusal }
                : { ...base, type: "aborted", epoch: 0, step: 0, reason: "the job thread stopped before it finished" };
            running.terminal = e;
            await store([e]);
          }
        }
        if (running.terminal) await this.#settle(input, running.terminal);
      });
      void running.chain.finally(() => {
        this.#running.delete(input.runId);
        if (threadLives) this.#keepThread(thread);
        this.opts.onJobEnded?.(input.runId, running.terminal);
        resolveExit();
        this.#pump();
      });
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    worker.postMessage({ type: "train", input } satisfies ServerMessage);
    void registry.transitionRun(input.runId, ["queued", "interrupted"], "running", { started_at: Date.now() });
    log.info(`run ${input.runId}: started in a worker thread`);
  }

  /** Runs a registry write; when the disk is full, frees the disk reserve and tries once more. */
  async #withReserve<T>(dataDir: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (!isDiskFull(err) || !(await releaseDiskReserve(dataDir))) throw err;
      this.opts.log.error(`the disk of DATA_DIR (${dataDir}) is full; freed its reserve to record a run's end`);
      return write();
    }
  }

  /**
   * Makes sure an ended job's outcome is recorded: when the registry refused
   * the terminal event (a full disk), the run's status and message are
   * written alone; then run.json is made to say what the registry says (the
   * runner cannot rewrite it on a full disk). What still fails is logged, and
   * the start-up repair makes registry and folder agree later.
   */
  async #settle(input: JobInput, terminal: TrainEvent): Promise<void> {
    const { registry, log } = this.opts;
    const row = await registry.getRun(input.runId).catch(() => undefined);
    if (!row) return;
    let status: RunStatus = row.status;
    let message = row.error;
    if (status === "queued" || status === "running") {
      status = STATUS_AFTER[terminal.type]!;
      message = terminalMessage(terminal);
      const patch = { finished_at: terminal.time, error: message };
      const moved = await this.#withReserve(input.dataDir, () =>
        registry.transitionRun(input.runId, ["queued", "running"], status, patch),
      ).catch((err: Error) => {
        log.error(
          `run ${input.runId}: ended ${status} (${message}), but the registry cannot record it: ${err.message}`,
        );
        return false;
      });
      if (!moved) return;
    }
    await matchRunJsonStatus(input.runDir, status, message).catch((err: Error) =>
      log.error(`run ${input.runId}: run.json cannot be marked ${status}: ${err.message}`),
    );
  }
}

/** The message a terminal event leaves in the registry's `error` column (null for a success). */
function terminalMessage(e: TrainEvent): string | null {
  if (e.type === "error" || e.type === "diverged") return e.message;
  if (e.type === "aborted") return e.reason;
  return null;
}
