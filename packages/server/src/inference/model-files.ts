import type { BigIntStats } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { HttpError } from "../http-error";

/** The weights the server predicts with: the best checkpoint (server runs), else the last (and browser uploads). */
export const CHECKPOINT_FILES = ["weights.best.safetensors", "weights.safetensors"] as const;

/** The files a run's model is loaded from, and a key that changes whenever one of them is replaced. */
export interface ModelFiles {
  /** The checkpoint in use, one of CHECKPOINT_FILES. */
  checkpoint: (typeof CHECKPOINT_FILES)[number];
  /** spec.json, the checkpoint and normalization.json as they are on disk now. */
  key: string;
}

const statOrNull = (path: string) => stat(path, { bigint: true }).catch(() => null);

/**
 * A file's identity on disk. Checkpoints are written to a temporary name and
 * renamed into place, so a new one has a new inode even when its size and
 * (coarse, per-tick) mtime equal the old one's.
 */
const identityOf = (s: BigIntStats) => `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;

/**
 * Finds the files a run's model is made of; a 409 when the run has no spec or
 * no weights yet (a server run writes them after its first epoch, a browser
 * run uploads them when it finishes).
 */
export async function modelFilesOf(runId: string, dir: string): Promise<ModelFiles> {
  const [spec, best, last, normalization] = await Promise.all([
    statOrNull(join(dir, "spec.json")),
    statOrNull(join(dir, CHECKPOINT_FILES[0])),
    statOrNull(join(dir, CHECKPOINT_FILES[1])),
    statOrNull(join(dir, "normalization.json")),
  ]);
  const weights = best ?? last;
  if (!spec || !weights) {
    throw new HttpError(
      409,
      `run ${runId} has no weights yet: a server run writes them at the end of its first epoch, a browser run uploads them (PUT /api/runs/${runId}/artifacts/weights.safetensors); ask again once they are there`,
    );
  }
  const checkpoint = best ? CHECKPOINT_FILES[0] : CHECKPOINT_FILES[1];
  const key = [
    `spec.json@${identityOf(spec)}`,
    `${checkpoint}@${identityOf(weights)}`,
    `normalization.json@${normalization ? identityOf(normalization) : "none"}`,
  ].join(" ");
  return { checkpoint, key };
}
