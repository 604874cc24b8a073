import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUN_FILES, readRunInfo } from "@layerlab/runner";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { type ChildServer, spawnServer } from "./child-server";
import { api, waitForStatus } from "./helpers";

/*
 * DATA_DIR on a real 8 MB file system (tmpfs), filled up while a run trains.
 * Mounting needs root (CI runs as root); elsewhere the suite is skipped, with the reason in its name.
 */
const mountPoint = mkdtempSync(join(tmpdir(), "layerlab-disk-full-"));
const mountProblem = (() => {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint], { stdio: "pipe" });
    return null;
  } catch (err) {
    return `cannot mount a small tmpfs here (${(err as Error).message.split("\n")[0]})`;
  }
})();

let server: ChildServer | null = null;
afterAll(async () => {
  await server?.stop("SIGKILL");
  if (mountProblem === null) execFileSync("umount", [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const env = { DATA_DIR: mountPoint, WEB_DIR: join(mountPoint, "no-web") };

/** Bytes the file system can still give. */
function freeBytes(): number {
  const fs = statfsSync(mountPoint);
  return fs.bavail * fs.bsize;
}

/** Writes zeros to `path` until the disk refuses another 4 KiB block. */
function fillUp(path: string): void {
  const fd = openSync(path, "a");
  const block = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

/** Polls /api/health until no job is training. */
async function waitForNoJob(base: string): Promise<void> {
  const start = Date.now();
  for (;;) {
    const health = (await api(base, "GET", "/api/health")).body;
    if (health.running === 0) return;
    if (Date.now() - start > 30_000) throw new Error(`health still counts ${health.running} running job(s)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(mountProblem !== null)(`a full DATA_DIR${mountProblem ? ` (skipped: ${mountProblem})` : ""}`, () => {
  it("ends a server run failed with the fix, keeps registry and run.json in agreement, and answers 507", async () => {
    server = await spawnServer(env);
    const browserRun = await api(server.url, "POST", "/api/runs", {
      template: "mlp",
      dataset: "shapes",
      executor: "browser",
    });
    expect(browserRun.status).toBe(201);

    // Room for the disk reserve (256 KiB, made when the job starts), the run's first files and a
    // few events, but not for its first checkpoint (the weights and optimizer state take ~400 KiB).
    writeFileSync(join(mountPoint, "filler"), Buffer.alloc(freeBytes() - 256 * 1024 - 128 * 1024));
    const created = await api(server.url, "POST", "/api/runs", {
      template: "mlp",
      dataset: "shapes",
      executor: "server",
      limit: 200,
      config: { epochs: 3, batchSize: 32 },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    const ended = await waitForStatus(server.url, id, ["succeeded", "failed", "aborted", "interrupted"], 60_000);
    expect(ended.status).toBe("failed");
    expect(ended.error).toBe(`disk full in DATA_DIR (${mountPoint}): free space and resume the run`);
    await waitForNoJob(server.url);
    // run.json says what the registry says.
    const dir = join(mountPoint, "runs", id);
    const info = await readRunInfo(dir);
    expect(info.status).toBe("failed");
    expect(info.message).toBe(ended.error);
    expect(info.pid).toBeNull();

    // With the disk full to the last block, writes are refused in words.
    fillUp(join(mountPoint, "filler-2"));
    const patched = await api(server.url, "PATCH", `/api/runs/${browserRun.body.id}`, { notes: "n".repeat(8000) });
    expect(patched.status).toBe(507);
    expect(patched.body.error).toMatch(/disk full in DATA_DIR \(.+\).*free space/);
    const put = await fetch(`${server.url}/api/runs/${browserRun.body.id}/artifacts/metrics.csv`, {
      method: "PUT",
      headers: { "content-type": "text/csv" },
      body: `epoch,train_loss\n${"1,0.5\n".repeat(16_000)}`,
    });
    expect(put.status).toBe(507);
    expect(((await put.json()) as { error: string }).error).toMatch(/disk full in DATA_DIR \(.+\).*free space/);
    const form = new FormData();
    form.append("file", new Blob([Buffer.alloc(64 * 1024, 1)]), "digits.zip");
    const upload = await fetch(`${server.url}/api/datasets`, { method: "POST", body: form });
    expect(upload.status).toBe(507);
    expect(((await upload.json()) as { error: string }).error).toMatch(/disk full in DATA_DIR \(.+\).*free space/);
    // The server is still up and answers reads.
    expect((await api(server.url, "GET", `/api/runs/${id}`)).status).toBe(200);
    expect(await server.stop()).toBe(0);

    rmSync(join(mountPoint, "filler"));
    rmSync(join(mountPoint, "filler-2"));
    // A run.json the full disk kept from being rewritten is made to agree with the registry at start-up.
    writeFileSync(join(dir, RUN_FILES.run), JSON.stringify({ ...info, status: "running", pid: 1, message: null }));
    server = await spawnServer(env);
    expect(server.output()).toContain(`run ${id}: run.json marked failed, as the registry has it`);
    expect(await readRunInfo(dir)).toMatchObject({ status: "failed", message: ended.error, pid: null });
    expect(await server.stop()).toBe(0);

    // A failure the registry could not record is taken from run.json at start-up.
    const db = new Database(join(mountPoint, "registry.sqlite"));
    db.prepare("UPDATE runs SET status = 'running', error = NULL WHERE id = ?").run(id);
    db.close();
    server = await spawnServer(env);
    expect(server.output()).toContain(`run ${id}: had ended failed (run.json says so)`);
    const repaired = (await api(server.url, "GET", `/api/runs/${id}`)).body;
    expect(repaired).toMatchObject({ status: "failed", error: ended.error });

    // Once space is free, the run resumes from its folder and finishes.
    const resumed = await api(server.url, "POST", `/api/runs/${id}/resume`);
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(202);
    const done = await waitForStatus(server.url, id, ["succeeded", "failed"], 120_000);
    expect(done.status, done.error).toBe("succeeded");
    expect((await readRunInfo(dir)).status).toBe("succeeded");
  }, 240_000);
});
