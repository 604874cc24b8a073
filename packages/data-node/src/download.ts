import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/** Progress of a download: bytes so far and the total when the server said it. */
export interface DownloadProgress {
  received: number;
  total: number | null;
}

/** The MD5 hex digest of a file, read as a stream. */
export async function fileMd5(path: string): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Downloads `url` to `path` (temp file + rename), reporting progress and checking the MD5 digest
 * before the file appears; a failed or mismatched download leaves nothing behind.
 */
export async function downloadFile(
  url: string,
  path: string,
  md5: string,
  onProgress?: (p: DownloadProgress) => void,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString("hex")}.part`;
  try {
    const response = await fetch(url);
    if (!response.ok || !response.body) throw new Error(`${url} answered HTTP ${response.status}`);
    const header = response.headers.get("content-length");
    const total = header ? Number(header) : null;
    const hash = createHash("md5");
    const handle = await open(temp, "w");
    let received = 0;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        await handle.write(chunk);
        received += chunk.length;
        onProgress?.({ received, total });
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const digest = hash.digest("hex");
    if (digest !== md5)
      throw new Error(`${url} downloaded with MD5 ${digest}, expected ${md5} (damaged or changed file)`);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
}
