import { z } from "zod";

/*
 * Workers: `layerlab worker` processes on other machines that train the
 * server's queued runs. They speak only this HTTP API (with the server's
 * token): a heartbeat that says who they are and what they hold, a claim
 * that hands them one queued run, and — for each claimed run — the same
 * event and artifact uploads a browser run uses, carrying the claim's lease.
 */

/** The header that carries a claim's lease on event and artifact uploads of a worker-trained run. */
export const LEASE_HEADER = "x-layerlab-lease";

/** A worker's name: shown on the Runs page and recorded on each run it trains. */
export const WorkerName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a worker name is letters, digits, '.', '_' and '-' (e.g. gpu-box-1)");

/** POST /api/workers/heartbeat: who the worker is and which claims it still holds. */
export const WorkerHeartbeatBody = z.object({
  name: WorkerName,
  /** How many runs it trains at once (`--jobs`). */
  slots: z.number().int().min(1).max(64),
  /** The leases it holds now. */
  leases: z.array(z.string().max(128)).max(64),
});
export type WorkerHeartbeatBody = z.infer<typeof WorkerHeartbeatBody>;

/** The heartbeat's answer: claims the worker must stop (aborted by a user, or moved to another worker). */
export const WorkerHeartbeatAnswer = z.object({
  stop: z.array(z.object({ lease: z.string(), reason: z.string() })),
  /** How long the server waits for the next heartbeat before it gives the worker's runs to others. */
  leaseSeconds: z.number(),
});
export type WorkerHeartbeatAnswer = z.infer<typeof WorkerHeartbeatAnswer>;

/** POST /api/workers/claim. */
export const WorkerClaimBody = z.object({ name: WorkerName });
export type WorkerClaimBody = z.infer<typeof WorkerClaimBody>;

/** Where a claimed run's data comes from: a built-in the worker makes itself, or an upload it downloads. */
export const ClaimDataset = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("builtin"), name: z.string() }),
  z.object({ kind: z.literal("saved"), id: z.string() }),
]);
export type ClaimDataset = z.infer<typeof ClaimDataset>;

/** A claimed run: everything a worker needs to train it, or to resume it from its last uploaded checkpoint. */
export const WorkerClaim = z.object({
  runId: z.string(),
  /** Proof of this claim; sent in the LEASE_HEADER of every upload for the run. */
  lease: z.string(),
  name: z.string(),
  spec: z.unknown(),
  config: z.unknown(),
  dataset: ClaimDataset,
  limit: z.number().int().nullable(),
  /**
   * Files of the run folder a previous holder uploaded (run.json, the checkpoint and resume point,
   * the event log…): download them with GET /api/runs/:id/artifacts/:name and resume; empty: start fresh.
   */
  resumeFiles: z.array(z.string()),
  /** The last event seq the server holds; the resumed run's events continue after it. */
  lastSeq: z.number().int(),
});
export type WorkerClaim = z.infer<typeof WorkerClaim>;

/** A worker as /api/health and the Runs page show it. */
export const WorkerView = z.object({
  name: z.string(),
  slots: z.number().int(),
  /** The runs it trains now. */
  runs: z.array(z.string()),
  lastSeen: z.number().meta({ description: "Milliseconds since the Unix epoch" }),
  /** False once it has missed its heartbeats for longer than the lease. */
  alive: z.boolean(),
});
export type WorkerView = z.infer<typeof WorkerView>;
