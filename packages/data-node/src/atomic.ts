import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Writes `parts` to `path` through a temporary file in the same folder and a rename,
 * so readers see the old file or the whole new one, never half of it.
 */
export async function writeFileAtomic(path: string, parts: readonly Uint8Array[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const handle = await open(temp, "w");
    try {
      for (const part of parts) {
        // A write may take only the start of a buffer (a nearly full disk): write the rest until it fails.
        for (let written = 0; written < part.length; ) written += (await handle.write(part, written)).bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
