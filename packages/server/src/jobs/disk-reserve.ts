import { rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/*
 * Recording that a run failed needs a little disk: a line in events.jsonl, a
 * new run.json, a few SQLite pages. On a full disk those writes fail too, and
 * the run would stay `running`. So DATA_DIR holds a file of reserved space,
 * removed the moment a write finds the disk full, which leaves room to record
 * the failure; it is made again when the next job starts.
 */

/** The reserve's file name inside DATA_DIR. */
export const DISK_RESERVE_FILE = ".disk-reserve";

/** How much space the reserve holds: far more than recording one failure takes. */
export const DISK_RESERVE_BYTES = 256 * 1024;

/** Makes the reserve when it is missing; on a disk with too little room it is left out. */
export async function keepDiskReserve(dataDir: string): Promise<void> {
  const path = join(dataDir, DISK_RESERVE_FILE);
  const info = await stat(path).catch(() => null);
  if (info?.size === DISK_RESERVE_BYTES) return;
  // Zeros written out (not a sparse file) really take the space.
  await writeFile(path, Buffer.alloc(DISK_RESERVE_BYTES)).catch(() => rm(path, { force: true }));
}

/** Frees the reserve; resolves to whether there was one. */
export async function releaseDiskReserve(dataDir: string): Promise<boolean> {
  const path = join(dataDir, DISK_RESERVE_FILE);
  const existed = await stat(path).then(
    () => true,
    () => false,
  );
  await rm(path, { force: true });
  return existed;
}
