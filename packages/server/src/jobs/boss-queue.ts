import type { TrainEvent } from "@layerlab/spec";
import PgBoss from "pg-boss";
import type { Registry } from "../db/registry";
import type { RunRow } from "../db/schema";
import { applyEvents } from "../events/apply-events";
import type { EventHub } from "../events/hub";
import { resolveDataset } from "../runs/dataset-info";
import { jobInputFor } from "./job-input";
import type { JobInput } from "./job-types";
import { JobQueue } from "./queue";
import type { RunQueue } from "./run-queue";

/** pg-boss's queue of server runs. */
const TRAIN_QUEUE = "layerlab-train";
/** pg-boss's tables live in their own schema, beside the registry's. */
const BOSS_SCHEMA = "pgboss";
/** How often free local threads look for work that other events did not announce (a retried job). */
const LOCAL_POLL_MS = 1000;

/** A claim handed out: the run as the registry now has it and the lease that proves the claim. */
export interface Claim {
  row: RunRow;
  lease: string;
}

/** What the PostgreSQL queue needs from the app. */
export interface BossQueueOptions {
  databaseUrl: string;
  registry: Registry;
  hub: EventHub;
  dataDir: string;
  /** Runs this server trains itself, in worker threads (MAX_CONCURRENT_JOBS; 0: only workers train). */
  localSlots: number;
  log: { info(msg: string): void; error(msg: string): void };
}

/** The job id inside a lease ("<job id>.<claim number>"). */
export function jobOfLease(lease: string): string {
  return lease.slice(0, lease.lastIndexOf("."));
}

/**
 * Server runs in pg-boss, a job queue on PostgreSQL: claiming is
 * `FOR UPDATE SKIP LOCKED`, so the server's own threads and any number of
 * `layerlab worker` processes take each run exactly once, and a job whose
 * holder is declared gone is failed back into the queue (pg-boss retries it,
 * keeping its place) for the next claimant, which resumes the run from its
 * last uploaded checkpoint. A job carries only the run id: the registry holds
 * the rest, and the run row records the open job, the current claim (the
 * lease) and who holds it.
 */
export class BossQueue implements RunQueue {
  readonly #local: JobQueue;
  /** Leases of the runs this process trains in its own threads. */
  readonly #localLeases = new Map<string, string>();
  #closed = false;
  #pumping = false;
  #pumpAgain = false;
  readonly #poll: NodeJS.Timeout;

  private constructor(
    readonly boss: PgBoss,
    readonly opts: BossQueueOptions,
  ) {
    this.#local = new JobQueue({
      registry: opts.registry,
      hub: opts.hub,
      maxConcurrent: Math.max(1, opts.localSlots),
      log: opts.log,
      onJobEnded: (runId, terminal) => void this.#localEnded(runId, terminal),
    });
    this.#poll = setInterval(() => this.#pump(), LOCAL_POLL_MS);
    this.#poll.unref();
  }

  /**
   * Connects pg-boss (creating its schema on first use) and repairs what a
   * stop of this server left: runs its own threads were training end
   * interrupted (as on SQLite; resume continues them), and their jobs close.
   */
  static async open(opts: BossQueueOptions): Promise<BossQueue> {
    const boss = new PgBoss({ connectionString: opts.databaseUrl, schema: BOSS_SCHEMA, max: 4 });
    boss.on("error", (err: Error) => opts.log.error(`job queue: ${err.message}`));
    await boss.start();
    // A job is retried whenever its holder is declared gone; its expiry (pg-boss's longest) is only a backstop.
    await boss.createQueue(TRAIN_QUEUE, { name: TRAIN_QUEUE, retryLimit: 1000, retryDelay: 1, expireInHours: 23 });
    for (const run of await opts.registry.leasedRuns()) {
      if (run.worker !== null || run.lease === null) continue;
      await boss.complete(TRAIN_QUEUE, jobOfLease(run.lease));
      await opts.registry.updateRun(run.id, { job: null, lease: null });
    }
    return new BossQueue(boss, opts);
  }

  /** Queues a run unless its job is open already (a restart's repair asks again for every queued run). */
  async enqueue(input: JobInput): Promise<void> {
    const { registry } = this.opts;
    const row = await registry.getRun(input.runId);
    if (row?.job && (await this.#jobIsOpen(row.job))) return;
    const job = await this.boss.send(TRAIN_QUEUE, { runId: input.runId });
    if (job === null) throw new Error(`the job queue refused run ${input.runId}`);
    await registry.updateRun(input.runId, { job, lease: null, worker: null, stop_reason: null });
    this.#pump();
  }

  async #jobIsOpen(job: string): Promise<boolean> {
    const found = await this.boss.getJobById(TRAIN_QUEUE, job);
    return found !== null && ["created", "retry", "active"].includes(found.state);
  }

  /**
   * Hands the oldest waiting run to `worker` (null: this server's threads):
   * marks it running there with a fresh lease. Jobs whose run was deleted,
   * aborted or re-queued meanwhile are closed and skipped.
   */
  async claim(worker: string | null): Promise<Claim | null> {
    const { registry } = this.opts;
    for (;;) {
      const [job] = await this.boss.fetch<{ runId: string }>(TRAIN_QUEUE, { batchSize: 1, includeMetadata: true });
      if (!job) return null;
      const row = await registry.getRun(job.data.runId);
      if (!row || row.job !== job.id || !["queued", "running", "interrupted"].includes(row.status)) {
        await this.boss.complete(TRAIN_QUEUE, job.id);
        continue;
      }
      const lease = `${job.id}.${job.retryCount}`;
      const patch = { worker, lease, stop_reason: null, started_at: row.started_at ?? Date.now() };
      await registry.transitionRun(row.id, ["queued", "running", "interrupted"], "running", patch);
      return { row: { ...row, ...patch, status: "running" }, lease };
    }
  }

  /** Closes a claim whose run has ended (its terminal event is stored): the job is done. */
  async settle(runId: string, lease: string): Promise<void> {
    await this.boss.complete(TRAIN_QUEUE, jobOfLease(lease));
    await this.opts.registry.updateRun(runId, { job: null, lease: null, stop_reason: null });
  }

  /**
   * Takes a claim back from a holder that is gone: pg-boss fails the job into
   * its retry state (keeping its place), and the run waits, queued, for the
   * next claimant, who resumes it from its last uploaded checkpoint.
   */
  async reclaim(runId: string, lease: string): Promise<boolean> {
    const { registry } = this.opts;
    const moved = await registry.inTransaction(async (tx) => {
      const row = await tx.runByLease(runId, lease);
      if (row?.status !== "running") return false;
      return tx.transitionRun(runId, ["running"], "queued", { lease: null });
    });
    if (!moved) return false;
    await this.boss.fail(TRAIN_QUEUE, jobOfLease(lease), { reason: "its worker stopped sending heartbeats" });
    return true;
  }

  async queuePositions(): Promise<ReadonlyMap<string, number>> {
    const { registry } = this.opts;
    const places = new Map<string, number>();
    for (const run of await registry.leasedRuns()) places.set(run.id, 0);
    for (const [i, id] of (await registry.queuedServerRunIds()).entries()) places.set(id, i + 1);
    return places;
  }

  async counts(): Promise<{ running: number; queued: number }> {
    const { registry } = this.opts;
    return { running: (await registry.leasedRuns()).length, queued: (await registry.queuedServerRunIds()).length };
  }

  async abort(runId: string, reason = "aborted by user"): Promise<boolean> {
    const { registry, hub } = this.opts;
    if (this.#localLeases.has(runId)) return this.#local.abort(runId, reason);
    const row = await registry.getRun(runId);
    if (row?.executor !== "server" || row.job === null) return false;
    if (row.status === "running" && row.lease !== null) {
      // A worker holds it: it hears the request at its next heartbeat and posts the run's `aborted` event.
      await registry.updateRun(runId, { stop_reason: reason });
      return true;
    }
    if (row.status !== "queued") return false;
    await this.boss.cancel(TRAIN_QUEUE, row.job);
    await registry.updateRun(runId, { job: null });
    const seq = (await registry.lastEventSeq(runId)) + 1;
    const event: TrainEvent = { seq, time: Date.now(), type: "aborted", epoch: 0, step: 0, reason };
    await applyEvents(registry, hub, runId, [event]);
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    await this.#local.close();
    await this.boss.stop({ graceful: false, wait: true });
  }

  /** Fills this server's free threads with claimed runs. */
  #pump(): void {
    if (this.#closed || this.opts.localSlots === 0) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    void (async () => {
      do {
        this.#pumpAgain = false;
        while (!this.#closed && this.#localLeases.size < this.opts.localSlots) {
          const claim = await this.claim(null);
          if (!claim) break;
          const dataset = await resolveDataset(this.opts.registry, claim.row.dataset).catch(() => null);
          if (!dataset) {
            await this.#failClaim(claim, `dataset ${claim.row.dataset} is gone`);
            continue;
          }
          this.#localLeases.set(claim.row.id, claim.lease);
          this.#local.enqueue(jobInputFor(claim.row, this.opts.dataDir, dataset.source));
        }
      } while (this.#pumpAgain && !this.#closed);
    })()
      .catch((err: Error) => this.opts.log.error(`job queue: claiming for this server failed: ${err.message}`))
      .finally(() => {
        this.#pumping = false;
      });
  }

  async #failClaim(claim: Claim, message: string): Promise<void> {
    const { registry, hub } = this.opts;
    const seq = (await registry.lastEventSeq(claim.row.id)) + 1;
    await applyEvents(registry, hub, claim.row.id, [{ seq, time: Date.now(), type: "error", message }]);
    await this.settle(claim.row.id, claim.lease);
  }

  /** A run of this server's threads has ended: done, or (null) cut short by close() — then the next start repairs it. */
  async #localEnded(runId: string, terminal: TrainEvent | null): Promise<void> {
    const lease = this.#localLeases.get(runId);
    this.#localLeases.delete(runId);
    if (lease && terminal) {
      await this.settle(runId, lease).catch((err: Error) =>
        this.opts.log.error(`run ${runId}: closing its job failed: ${err.message}`),
      );
    }
    this.#pump();
  }
}
