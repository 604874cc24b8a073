import { randomFillSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer } from "../test/child-server";

/*
 * Load check (not a test): streams a 200 MB upload (random bytes in a .zip
 * part, generated while sending, never held whole) to POST /api/datasets of a
 * server in a child process, sampling the server's resident memory from
 * /proc/<pid>/status every 20 ms. The import refuses the junk (422), so what
 * is measured is the upload path itself: growth over the idle server's RSS.
 * Target: under 64 MB.   npx tsx packages/server/load/upload-200mb.ts [--mb 200]
 */

const MB = Number(process.argv[process.argv.indexOf("--mb") + 1]) || 200;
const CHUNK = 1024 * 1024;
const DEADLINE_MS = 300_000;

/** Resident memory of a process in bytes (Linux /proc). */
function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

/** A multipart body of one `file` part with `bytes` random bytes, produced chunk by chunk. */
function multipartStream(boundary: string, bytes: number): ReadableStream<Uint8Array> {
  const head = new TextEncoder().encode(
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="junk.zip"\r\ncontent-type: application/zip\r\n\r\n`,
  );
  const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  let sent = 0;
  return new ReadableStream({
    start(controller) {
      controller.enqueue(head);
    },
    pull(controller) {
      if (sent >= bytes) {
        controller.enqueue(tail);
        controller.close();
        return;
      }
      const n = Math.min(CHUNK, bytes - sent);
      controller.enqueue(randomFillSync(new Uint8Array(n)));
      sent += n;
    },
  });
}

const dataDir = mkdtempSync(join(tmpdir(), "layerlab-load-upload-"));
const server = await spawnServer({ DATA_DIR: dataDir, WEB_DIR: join(dataDir, "no-web"), MAX_UPLOAD_MB: "512" });
const pid = server.child.pid!;
const deadline = setTimeout(() => {
  console.error("load check ran past its deadline");
  void server.stop("SIGKILL").then(() => process.exit(2));
}, DEADLINE_MS);
try {
  // Warm the upload route (multipart parser, import code) so that loading code does not count as growth.
  const warm = new FormData();
  warm.set("file", new Blob([new Uint8Array(1024)]), "warm.zip");
  await fetch(`${server.url}/api/datasets`, { method: "POST", body: warm });
  await new Promise((r) => setTimeout(r, 500));
  const baseline = rssOf(pid);
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 20);
  const boundary = `layerlab-load-${Date.now()}`;
  const started = performance.now();
  const res = await fetch(`${server.url}/api/datasets`, {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    body: multipartStream(boundary, MB * 1024 * 1024),
    duplex: "half",
  } as RequestInit);
  const body = await res.text();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(pid));
  console.log(
    JSON.stringify({
      uploadMB: MB,
      status: res.status,
      answer: body.slice(0, 200),
      seconds: Number(seconds.toFixed(1)),
      serverRssMB: { idle: Math.round(baseline / 2 ** 20), peak: Math.round(peak / 2 ** 20) },
      growthMB: Number(((peak - baseline) / 2 ** 20).toFixed(1)),
      targetGrowthMB: 64,
    }),
  );
} finally {
  clearTimeout(deadline);
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
