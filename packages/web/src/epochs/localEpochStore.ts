/*
 * The epoch checkpoints of runs kept in this browser (no server): one
 * IndexedDB record per kept epoch, holding that epoch's safetensors weights,
 * in a database of its own so that the run records stay small and the run
 * store's schema is left alone. Which epochs stay is @layerlab/spec's
 * keptEpochCheckpoints rule, as for runs on a server.
 */

import { indexedDbStore } from "../registry/indexedDbStore";

const DB_NAME = "layerlab-epochs";
const STORE = "epochs";

/** One kept epoch of one run. */
interface EpochRecord {
  runId: string;
  epoch: number;
  weights: Uint8Array;
}

const request = indexedDbStore(DB_NAME, STORE, ["runId", "epoch"], "epoch store");

/** Every key of run `runId`: from [runId, 0] up to [runId, +∞]. */
const runRange = (runId: string) => IDBKeyRange.bound([runId, 0], [runId, Number.POSITIVE_INFINITY]);

/** Saves (or replaces) epoch `epoch`'s weights of run `runId`. */
export async function putLocalEpoch(runId: string, epoch: number, weights: Uint8Array): Promise<void> {
  await request("readwrite", (s) => s.put({ runId, epoch, weights } satisfies EpochRecord));
}

/** The epochs run `runId` keeps here, ascending. */
export async function listLocalEpochs(runId: string): Promise<number[]> {
  const keys = await request<[string, number][]>("readonly", (s) => s.getAllKeys(runRange(runId)));
  return keys.map(([, epoch]) => epoch).sort((a, b) => a - b);
}

/** Epoch `epoch`'s weights of run `runId`, or null when it is not kept. */
export async function getLocalEpoch(runId: string, epoch: number): Promise<Uint8Array | null> {
  const record = await request<EpochRecord | undefined>("readonly", (s) => s.get([runId, epoch]));
  return record?.weights ?? null;
}

/** Deletes run `runId`'s epochs but those of `keep`. */
export async function pruneLocalEpochs(runId: string, keep: readonly number[]): Promise<void> {
  const kept = new Set(keep);
  for (const epoch of await listLocalEpochs(runId)) {
    if (!kept.has(epoch)) await request("readwrite", (s) => s.delete([runId, epoch]));
  }
}

/** Deletes every epoch of run `runId` (the run was deleted). */
export async function deleteLocalEpochs(runId: string): Promise<void> {
  await request("readwrite", (s) => s.delete(runRange(runId)));
}
