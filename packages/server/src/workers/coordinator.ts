import {
  RUN_FILE_NAMES,
  type WorkerClaim,
  type WorkerHeartbeatAnswer,
  type WorkerHeartbeatBody,
  type WorkerView,
} from "@layerlab/api";
import type { Registry } from "../db/registry";
import type { RunRow } from "../db/schema";
import { HttpError } from "../http-error";
import type { BossQueue } from "../jobs/boss-queue";
import { resolveDataset } from "../runs/dataset-info";

/** What the coordinator needs from the app. */
export interface WorkerCoordinatorOptions {
  registry: Registry;
  /** The PostgreSQL job queue; null on SQLite, where workers are refused. */
  queue: BossQueue | null;
  /** How long a worker may stay silent before its runs go back to the queue (WORKER_LEASE_S). */
  leaseMs: number;
  log: { info(msg: string): void; error(msg: string): void };
}

const NEEDS_POSTGRES =
  "workers need the registry in PostgreSQL: start the server with DATABASE_URL=postgres://… (see the README's Scale out section)";

/** Run files a worker hands over, so the next holder of the run can resume it. */
const RUN_FILES = new Set<string>(RUN_FILE_NAMES);

/**
 * The server's side of `layerlab worker`: heartbeats, claims and leases.
 * pg-boss decides who gets which run; this module tells workers to stop runs
 * that were aborted or moved, checks that uploads come from a run's current
 * holder, and gives the runs of a worker that stopped sending heartbeats back
 * to the queue. Its state lives in the registry, so a server restart loses
 * nothing: silence is counted from the later of the last heartbeat and the
 * server's start, so workers get a full lease to find a restarted server.
 *
 * Only silence the server could have heard counts. A busy server (a loaded
 * machine, a database that answers slowly) is slow to answer and to store
 * heartbeats; taking that for the workers' silence would hand healthy
 * workers' runs to others, over and over, and no run would ever finish. So a
 * worker is heard the moment its request arrives, before any database wait,
 * is never silent while the server still owes it an answer, and a sweep that
 * runs late (this process was stalled) gives every worker a fresh lease.
 */
export class WorkerCoordinator {
  /**
   * Since when this server has been able to hear workers: start(), moved on
   * whenever a late sweep shows this process was stalled; silence before it is not theirs.
   */
  #hearingSince = Date.now();
  #sweep: NodeJS.Timeout | null = null;
  /** When the sweep timer last fired, to notice it firing late (a stalled process, not a slow sweep). */
  #lastTickAt = Date.now();
  #sweeping = false;
  /** When this process last heard from each worker: a heartbeat, claim or upload of its arriving (or being answered). */
  readonly #heardAt = new Map<string, number>();
  /** How many requests of each worker this process is still answering. */
  readonly #answering = new Map<string, number>();
  /** When each lease was handed out by this process (leases from before its start count from the start). */
  readonly #claimedAt = new Map<string, number>();

  constructor(readonly opts: WorkerCoordinatorOptions) {}

  /**
   * Starts counting silence, once the server is ready to answer: a start-up
   * repair that takes longer than a lease must not cost workers their runs.
   */
  start(): void {
    if (!this.opts.queue || this.#sweep) return;
    this.#hearingSince = Date.now();
    this.#lastTickAt = this.#hearingSince;
    this.#sweep = setInterval(() => {
      const now = Date.now();
      // It fires every quarter lease; this late means this process could not run (nor hear anyone) meanwhile.
      // Measured here, not in the sweep: a sweep that waits on a slow database skips ticks but hears on.
      if (now - this.#lastTickAt > this.opts.leaseMs / 2) this.#hearingSince = now;
      this.#lastTickAt = now;
      void this.#reclaimFromSilentWorkers();
    }, this.opts.leaseMs / 4);
    this.#sweep.unref();
  }

  #queue(): BossQueue {
    if (!this.opts.queue) throw new HttpError(409, NEEDS_POSTGRES);
    return this.opts.queue;
  }

  /** Records a heartbeat; answers with the claims the worker must give up, and why. */
  async heartbeat(body: WorkerHeartbeatBody): Promise<WorkerHeartbeatAnswer> {
    this.#queue();
    const arrived = Date.now();
    return this.#answer(body.name, async () => {
      const { registry } = this.opts;
      await registry.recordHeartbeat({ ...body, time: arrived });
      await this.#reclaimUnlisted(body, arrived);
      const stop: WorkerHeartbeatAnswer["stop"] = [];
      for (const lease of body.leases) {
        const run = await registry.runWithLease(lease);
        if (run?.status !== "running") {
          stop.push({ lease, reason: "the run was taken over by another worker, ended, or was deleted" });
        } else if (run.stop_reason !== null) {
          stop.push({ lease, reason: run.stop_reason });
        }
      }
      return { stop, leaseSeconds: this.opts.leaseMs / 1000 };
    });
  }

  /** Hands the worker the oldest waiting run, or null when none waits. */
  async claim(worker: string): Promise<WorkerClaim | null> {
    const queue = this.#queue();
    return this.#answer(worker, () => this.#claimFor(queue, worker));
  }

  async #claimFor(queue: BossQueue, worker: string): Promise<WorkerClaim | null> {
    const { registry } = this.opts;
    // A claim is a sign of life too; what the worker's heartbeat said about itself is kept.
    const known = (await registry.workers()).find((w) => w.name === worker);
    const leases = known ? (JSON.parse(known.leases) as string[]) : [];
    await registry.recordHeartbeat({ name: worker, slots: known?.slots ?? 1, leases, time: Date.now() });
    const claim = await queue.claim(worker);
    if (!claim) return null;
    const { row, lease } = claim;
    this.#claimedAt.set(lease, Date.now());
    const dataset = await resolveDataset(registry, row.dataset);
    const files = (await registry.artifacts(row.id)).map((a) => a.name).filter((n) => RUN_FILES.has(n));
    return {
      runId: row.id,
      lease,
      name: row.name,
      spec: JSON.parse(row.spec),
      config: JSON.parse(row.config),
      dataset: dataset.source,
      limit: row.train_limit,
      resumeFiles: files.includes("run.json") ? files : [],
      lastSeq: await registry.lastEventSeq(row.id),
    };
  }

  /**
   * The run an upload writes to, when `lease` is its current claim; else a 409
   * that tells the worker to stop. A holder delivering its run is heard from.
   */
  async runHeldBy(runId: string, lease: string | undefined): Promise<RunRow> {
    this.#queue();
    const arrived = Date.now();
    if (!lease) {
      throw new HttpError(
        409,
        `run ${runId} trains on the server's side: only the worker holding it posts its events and files, with its lease in the x-layerlab-lease header`,
      );
    }
    const run = await this.opts.registry.runByLease(runId, lease);
    if (!run) {
      throw new HttpError(
        409,
        `lease ${lease} is not run ${runId}'s current claim (the run was taken over by another worker, ended, or was deleted); stop training it`,
      );
    }
    if (run.worker !== null) this.#heard(run.worker, arrived);
    return run;
  }

  /** Closes the claim of a worker-trained run whose terminal event is stored. */
  async ended(runId: string, lease: string): Promise<void> {
    this.#claimedAt.delete(lease);
    await this.#queue().settle(runId, lease);
  }

  /**
   * Takes back the runs a worker holds by name but no longer lists in its
   * heartbeat: it was restarted under the same name (so its name never goes
   * silent), or the answer to its claim never reached it. A claim less than
   * a lease older than the heartbeat (`arrived`: when it reached the server,
   * however long the database then took) is left alone: the worker may not
   * have listed it yet.
   */
  async #reclaimUnlisted(body: WorkerHeartbeatBody, arrived: number): Promise<void> {
    const { registry, queue, leaseMs, log } = this.opts;
    if (!queue) return;
    const listed = new Set(body.leases);
    for (const run of await registry.leasedRuns()) {
      if (run.worker !== body.name || run.lease === null || listed.has(run.lease)) continue;
      if (arrived - (this.#claimedAt.get(run.lease) ?? this.#hearingSince) <= leaseMs) continue;
      if (await queue.reclaim(run.id, run.lease)) {
        this.#claimedAt.delete(run.lease);
        log.info(
          `run ${run.id}: worker ${body.name} no longer lists it (restarted?); the run is queued again and resumes from its last checkpoint`,
        );
      }
    }
  }

  /** The workers heard from, with the runs each holds now. */
  async views(): Promise<WorkerView[]> {
    if (!this.opts.queue) return [];
    const { registry, leaseMs } = this.opts;
    const held = await registry.leasedRuns();
    const now = Date.now();
    return (await registry.workers()).map((w) => ({
      name: w.name,
      slots: w.slots,
      runs: held.filter((r) => r.worker === w.name).map((r) => r.id),
      lastSeen: Number(w.last_seen),
      alive: this.#silence(w.name, Number(w.last_seen), now) <= leaseMs,
    }));
  }

  close(): void {
    if (this.#sweep) clearInterval(this.#sweep);
  }

  /** Notes that worker `name` was heard from at `time`. */
  #heard(name: string, time = Date.now()): void {
    this.#heardAt.set(name, Math.max(time, this.#heardAt.get(name) ?? 0));
  }

  /** Answers a request of worker `name`: heard as it arrives and again when answered, and never silent in between. */
  async #answer<T>(name: string, answer: () => Promise<T>): Promise<T> {
    this.#heard(name);
    this.#answering.set(name, (this.#answering.get(name) ?? 0) + 1);
    try {
      return await answer();
    } finally {
      const left = (this.#answering.get(name) ?? 1) - 1;
      if (left > 0) this.#answering.set(name, left);
      else this.#answering.delete(name);
      this.#heard(name);
    }
  }

  /** How long worker `name` has been silent at `now`, as far as this process could hear (`lastSeen`: the registry's). */
  #silence(name: string, lastSeen: number, now: number): number {
    if (this.#answering.has(name)) return 0;
    return now - Math.max(lastSeen, this.#heardAt.get(name) ?? 0, this.#hearingSince);
  }

  async #reclaimFromSilentWorkers(): Promise<void> {
    const { registry, queue, leaseMs, log } = this.opts;
    if (!queue || this.#sweeping) return;
    this.#sweeping = true;
    // Taken before the registry is read: a heartbeat stored while it is read then counts, never the other way round.
    const now = Date.now();
    try {
      const seen = new Map((await registry.workers()).map((w) => [w.name, Number(w.last_seen)]));
      for (const run of await registry.leasedRuns()) {
        if (run.worker === null || run.lease === null) continue;
        const silentFor = this.#silence(run.worker, seen.get(run.worker) ?? 0, now);
        if (silentFor <= leaseMs) continue;
        if (await queue.reclaim(run.id, run.lease)) {
          this.#claimedAt.delete(run.lease);
          log.info(
            `run ${run.id}: worker ${run.worker} sent no heartbeat for ${Math.round(silentFor / 1000)} s; the run is queued again and resumes from its last checkpoint`,
          );
        }
      }
    } catch (err) {
      log.error(`workers: reclaiming runs of silent workers failed: ${(err as Error).message}`);
    } finally {
      this.#sweeping = false;
    }
  }
}
