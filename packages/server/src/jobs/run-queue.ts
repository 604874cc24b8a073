import type { JobInput } from "./job-types";

/**
 * Where server runs wait and train. Two kinds: the in-process queue of worker
 * threads (the embedded default, with SQLite) and the PostgreSQL job queue
 * that `layerlab worker` processes on other machines claim from as well
 * (with DATABASE_URL). Routes and start-up repair see only this.
 */
export interface RunQueue {
  /** Queues a registered server run (status queued) to be trained or resumed from its folder. */
  enqueue(input: JobInput): void | Promise<void>;
  /** 1-based places of waiting runs and 0 for runs training now, by run id. */
  queuePositions(): Promise<ReadonlyMap<string, number>>;
  /** How many runs train now and how many wait. */
  counts(): Promise<{ running: number; queued: number }>;
  /**
   * Stops a run: a waiting one is dropped and recorded as aborted; a training
   * one is asked to stop (its `aborted` event follows). False when the queue
   * does not know it.
   */
  abort(runId: string, reason?: string): Promise<boolean>;
  /** Stops taking work; runs training in this process end interrupted. */
  close(): Promise<void>;
}
