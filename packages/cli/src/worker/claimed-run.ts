import { rm } from "node:fs/promises";
import type { WorkerClaim } from "@layerlab/api";
import type { TrainEvent } from "@layerlab/spec";
import { ensureDataset, prepareRunFolder, workerRunDir } from "./run-folder";
import { RunSync } from "./run-sync";
import { RefusedError, type ServerClient } from "./server-client";
import type { TrainJob } from "./thread-messages";
import type { TrainThread, TrainThreadPool } from "./train-threads";

/** How long an aborted run may take to reach its next batch and stop before its thread is ended. */
const ABORT_GRACE_MS = 10_000;

/** Events that end a run. */
const TERMINAL = new Set<TrainEvent["type"]>(["done", "aborted", "error", "diverged"]);

/** How a claimed run ended on this worker. */
export type ClaimOutcome =
  /** Its terminal event reached the server. */
  | { kind: "ended"; type: TrainEvent["type"] }
  /** The server took the claim back (another worker has the run, or it was deleted); nothing more was sent. */
  | { kind: "lost"; reason: string };

/** What a claimed run needs from the worker. */
export interface ClaimContext {
  client: ServerClient;
  dataDir: string;
  threads: TrainThreadPool;
  log: (line: string) => void;
}

/**
 * One claim on this worker: prepares the run folder, trains it in a thread
 * of its own, and delivers events and checkpoints to the server with the
 * claim's lease. The terminal event is sent last, after the final files, as
 * the server closes the claim when it arrives.
 */
export class ClaimedRun {
  readonly done: Promise<ClaimOutcome>;
  readonly #ctx: ClaimContext;
  readonly #sync: RunSync;
  #thread: TrainThread | null = null;
  #lost: string | null = null;
  #abortReason: string | null = null;
  #lastSeq: number;

  constructor(
    readonly claim: WorkerClaim,
    ctx: ClaimContext,
  ) {
    this.#ctx = ctx;
    this.#lastSeq = claim.lastSeq;
    const dir = workerRunDir(ctx.dataDir, claim.runId);
    this.#sync = new RunSync(ctx.client, claim.runId, claim.lease, dir, (err) => this.#stopDelivery(err));
    this.done = this.#run(dir);
  }

  get runId(): string {
    return this.claim.runId;
  }

  get lease(): string {
    return this.claim.lease;
  }

  /**
   * Stops training at the next batch. The runner's `aborted` event is then
   * delivered like any other: the server stores it when a user asked for the
   * stop, and refuses it (409) when the run has moved on, which ends delivery.
   */
  abort(reason: string): void {
    if (this.#abortReason !== null) return;
    this.#abortReason = reason;
    if (this.#thread) this.#stopThread(this.#thread, reason);
  }

  /** Asks the thread to stop the run, and ends the thread when the run has not stopped within the grace time. */
  #stopThread(thread: TrainThread, reason: string): void {
    thread.abort(reason);
    setTimeout(() => {
      if (this.#thread === thread) thread.terminate();
    }, ABORT_GRACE_MS).unref();
  }

  #stopDelivery(err: Error): void {
    this.#lost = err instanceof RefusedError ? err.detail : `delivery failed: ${err.message}`;
    this.#thread?.terminate();
  }

  /** Trains and delivers the run, then removes the local folder: the server holds all of it now, or wants none. */
  async #run(dir: string): Promise<ClaimOutcome> {
    try {
      return await this.#trainAndDeliver(dir);
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  }

  async #trainAndDeliver(dir: string): Promise<ClaimOutcome> {
    const { claim } = this;
    const { client, dataDir } = this.#ctx;
    try {
      await ensureDataset(client, dataDir, claim.dataset);
      await prepareRunFolder(client, claim, dir);
      await this.#sync.markAllUploaded();
    } catch (err) {
      if (err instanceof RefusedError && (err.status === 409 || err.status === 404)) {
        return { kind: "lost", reason: err.detail };
      }
      return this.#endWith({
        seq: -1,
        time: Date.now(),
        type: "error",
        message: `the worker cannot prepare the run: ${(err as Error).message}`,
      });
    }
    const terminal = await this.#train(dir);
    await this.#sync.syncFiles();
    if (this.#lost !== null) return { kind: "lost", reason: this.#lost };
    return this.#endWith(terminal);
  }

  /** Trains in a pooled thread; resolves with the run's terminal event (made up when the thread ended without one). */
  async #train(dir: string): Promise<TrainEvent> {
    const { claim } = this;
    const job: TrainJob = {
      dir,
      dataDir: this.#ctx.dataDir,
      name: claim.name,
      spec: claim.spec,
      config: claim.config,
      dataset: claim.dataset,
      limit: claim.limit,
    };
    const thread = this.#ctx.threads.take(claim.spec);
    this.#thread = thread;
    let terminal: TrainEvent | null = null;
    const ended = thread.run(job, (event) => {
      this.#lastSeq = Math.max(this.#lastSeq, event.seq);
      if (TERMINAL.has(event.type)) terminal = event;
      else {
        this.#sync.pushEvent(event);
        if (event.type === "checkpoint") void this.#sync.syncFiles();
      }
    });
    // A stop asked for while the folder was being prepared.
    if (this.#abortReason !== null) this.#stopThread(thread, this.#abortReason);
    const { refusal } = await ended;
    this.#thread = null;
    if (this.#lost === null) this.#ctx.threads.give(thread);
    if (terminal) return terminal;
    const base = { seq: -1, time: Date.now() };
    if (refusal !== null && this.#abortReason === null) return { ...base, type: "error", message: refusal };
    return { ...base, type: "aborted", epoch: 0, step: 0, reason: this.#abortReason ?? "the training thread stopped" };
  }

  /** Delivers the terminal event once all else is delivered; one made up here (seq -1) is numbered after the last. */
  async #endWith(event: TrainEvent): Promise<ClaimOutcome> {
    const terminal = event.seq < 0 ? { ...event, seq: this.#lastSeq + 1 } : event;
    this.#sync.pushEvent(terminal);
    await this.#sync.idle();
    const stopped = this.#sync.stopped;
    if (stopped) return { kind: "lost", reason: this.#lost ?? stopped.message };
    return { kind: "ended", type: terminal.type };
  }
}
