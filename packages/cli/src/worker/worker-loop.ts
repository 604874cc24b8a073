import { WorkerClaim, WorkerHeartbeatAnswer, type WorkerHeartbeatBody } from "@layerlab/api";
import { ClaimedRun } from "./claimed-run";
import { type ServerClient, sleep, TokenRefusedError } from "./server-client";
import { TrainThreadPool } from "./train-threads";

/** How often an idle worker asks for work. */
const CLAIM_POLL_MS = 500;

/** What `layerlab worker` runs with. */
export interface WorkerOptions {
  client: ServerClient;
  name: string;
  /** Runs trained at once. */
  slots: number;
  dataDir: string;
  log: (line: string) => void;
  /** Stops heartbeats and claims; runs in training are left to the lease (the server hands them on). */
  signal: AbortSignal;
}

/**
 * A worker's life: a heartbeat every quarter lease, which also tells it which
 * runs to stop, and claims while it has a free slot. Resolves when `signal`
 * stops it; rejects with TokenRefusedError when the server refuses the token,
 * and with the server's refusal when the first heartbeat is refused.
 */
export async function runWorker(opts: WorkerOptions): Promise<void> {
  const { client, name, slots, log, signal } = opts;
  const runs = new Map<string, ClaimedRun>();
  const threads = new TrainThreadPool(slots);
  let wake: () => void = () => {};
  const heartbeat = async (): Promise<number> => {
    const body: WorkerHeartbeatBody = { name, slots, leases: [...runs.values()].map((r) => r.lease) };
    const answer = WorkerHeartbeatAnswer.parse(await client.postJson("/api/workers/heartbeat", body, signal));
    for (const stop of answer.stop) {
      const run = [...runs.values()].find((r) => r.lease === stop.lease);
      if (run) {
        log(`run ${run.runId}: stopping (${stop.reason})`);
        run.abort(stop.reason);
      }
    }
    return answer.leaseSeconds * 1000;
  };

  let leaseMs: number;
  let beatAt = Date.now();
  try {
    leaseMs = await heartbeat();
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
  log(`worker ${name} (${slots} slot${slots === 1 ? "" : "s"}) takes runs from ${client.base}`);
  let fatal = null as Error | null;
  const stopped = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

  const beats = (async () => {
    while (!signal.aborted) {
      // A quarter lease after the last heartbeat was sent, not answered: a server slow to answer
      // must not see longer gaps between heartbeats than the worker meant to leave.
      const wait = Math.max(250, leaseMs / 4) - (Date.now() - beatAt);
      if (wait > 0) await sleep(wait, signal).catch(() => {});
      if (signal.aborted) return;
      beatAt = Date.now();
      try {
        leaseMs = await heartbeat();
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof TokenRefusedError) {
          fatal = err;
          wake();
          return;
        }
        log(`heartbeat refused: ${(err as Error).message}`);
      }
    }
  })();

  while (!signal.aborted && fatal === null) {
    if (runs.size >= slots) {
      await Promise.race([new Promise<void>((r) => (wake = r)), stopped]);
      continue;
    }
    let claim: WorkerClaim | null;
    try {
      const answer = await client.postJson("/api/workers/claim", { name }, signal);
      claim = answer === null ? null : WorkerClaim.parse(answer);
    } catch (err) {
      if (err instanceof TokenRefusedError) throw err;
      if (signal.aborted) break;
      log(`claiming refused: ${(err as Error).message}`);
      claim = null;
    }
    if (signal.aborted) break;
    if (!claim) {
      await Promise.race([sleep(CLAIM_POLL_MS).catch(() => {}), stopped]);
      continue;
    }
    const resumed = claim.resumeFiles.length > 0 ? " (resuming from its last checkpoint)" : "";
    log(`run ${claim.runId} (${claim.name}): claimed${resumed}`);
    const run = new ClaimedRun(claim, { client, dataDir: opts.dataDir, threads, log });
    runs.set(run.runId, run);
    void run.done
      .then((outcome) =>
        log(
          outcome.kind === "ended"
            ? `run ${run.runId}: ${outcome.type === "done" ? "finished" : outcome.type}`
            : `run ${run.runId}: given up (${outcome.reason})`,
        ),
      )
      .catch((err: Error) => log(`run ${run.runId}: failed on this worker: ${err.message}`))
      .finally(() => {
        runs.delete(run.runId);
        wake();
      });
  }
  await Promise.race([beats, stopped]);
  if (fatal) throw fatal;
}
