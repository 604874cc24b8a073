import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { EPOCH_CHECKPOINT_DIR, epochCheckpointName, epochOfCheckpointName } from "@layerlab/spec";
import { writeRunFile } from "./files";

/*
 * A run folder's per-epoch weights: epochs/epoch-003.safetensors holds the
 * weights.safetensors of the end of epoch 3, byte for byte. Which epochs stay
 * is @layerlab/spec's keptEpochCheckpoints rule.
 */

/** Where epoch `epoch`'s weights lie in run folder `dir`. */
export function epochCheckpointPath(dir: string, epoch: number): string {
  return join(dir, EPOCH_CHECKPOINT_DIR, epochCheckpointName(epoch));
}

/** The epochs whose weights run folder `dir` holds, ascending; none when it has no epochs folder. */
export async function listEpochCheckpoints(dir: string): Promise<number[]> {
  const names = await readdir(join(dir, EPOCH_CHECKPOINT_DIR)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  return names
    .map(epochOfCheckpointName)
    .filter((e): e is number => e !== null)
    .sort((a, b) => a - b);
}

/** Writes epoch `epoch`'s weights (a safetensors file) atomically. */
export async function writeEpochCheckpoint(dir: string, epoch: number, weights: Uint8Array): Promise<void> {
  await writeRunFile(dir, join(EPOCH_CHECKPOINT_DIR, epochCheckpointName(epoch)), weights);
}

/** Deletes every epoch checkpoint of `dir` but those of `keep` (files a kill left behind included). */
export async function pruneEpochCheckpoints(dir: string, keep: readonly number[]): Promise<void> {
  const kept = new Set(keep);
  for (const epoch of await listEpochCheckpoints(dir)) {
    if (!kept.has(epoch)) await rm(epochCheckpointPath(dir, epoch), { force: true });
  }
}
