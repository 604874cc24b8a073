import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeResumePoint, effectiveStatus, RUN_FILES, readRunEvents, readRunInfo } from "@layerlab/runner";
import { afterAll, describe, expect, it } from "vitest";
import { type ChildServer, spawnServer } from "./child-server";
import { api, readSse, waitForStatus } from "./helpers";
import { databaseUrlFor } from "./postgres/database";

const dataDir = mkdtempSync(join(tmpdir(), "layerlab-crash-"));
let server: ChildServer | null = null;
afterAll(async () => {
  await server?.stop("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every file under `dir`, recursively, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe("crash safety", () => {
  // Two server starts and a run trained across them: on a loaded machine that takes more than the default minute.
  it("survives SIGKILL mid-training: the run is interrupted, its folder valid and resumable to success", {
    timeout: 240_000,
  }, async () => {
    const databaseUrl = await databaseUrlFor(dataDir);
    const env = {
      DATA_DIR: dataDir,
      WEB_DIR: join(dataDir, "no-web"),
      ...(databaseUrl && { DATABASE_URL: databaseUrl }),
    };
    server = await spawnServer(env);
    const created = await api(server.url, "POST", "/api/runs", {
      template: "mlp",
      dataset: "shapes",
      executor: "server",
      // Twelve short epochs: the kill lands right after the first checkpoint, with many epochs still to train.
      limit: 600,
      config: { epochs: 12, batchSize: 16, seed: 3 },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await readSse(`${server.url}/api/runs/${id}/events`, { until: (m) => m.some((x) => x.event === "checkpoint") });
    expect(await server.stop("SIGKILL")).toBeNull();

    server = await spawnServer(env);
    const run = (await api(server.url, "GET", `/api/runs/${id}`)).body;
    expect(run.status).toBe("interrupted");
    expect(server.output()).toContain(`run ${id}: was running when the server stopped`);

    // The folder is one the runner reads: run.json, the resume point, the event log.
    const dir = join(dataDir, "runs", id);
    const info = await readRunInfo(dir);
    expect(info.status).toBe("interrupted");
    expect(effectiveStatus(info)).toBe("interrupted");
    expect(info.epochsDone).toBeGreaterThanOrEqual(1);
    expect(info.epochsDone).toBeLessThan(12);
    const point = decodeResumePoint(new Uint8Array(readFileSync(join(dir, RUN_FILES.optimizer))));
    expect(point.state.epochsDone).toBe(info.epochsDone);
    expect(filesUnder(dataDir).filter((f) => /\.tmp($|-)/.test(f))).toEqual([]);

    // Registry and files agree: the same events, the same status and progress.
    const fileSeqs = (await readRunEvents(dir)).map((e) => e.seq);
    const history = await readSse(`${server.url}/api/runs/${id}/events?mode=history`);
    expect(history.filter((m) => m.id !== null).map((m) => m.id)).toEqual(fileSeqs);
    expect(run.epochsDone).toBe(info.epochsDone);

    const resumed = await api(server.url, "POST", `/api/runs/${id}/resume`);
    expect(resumed.status).toBe(202);
    // A second resume while the first is queued or training is refused: the server holds the lock.
    expect((await api(server.url, "POST", `/api/runs/${id}/resume`)).status).toBe(409);
    const done = await waitForStatus(server.url, id, ["succeeded", "failed"]);
    expect(done.status, done.error).toBe("succeeded");
    expect(done.epochsDone).toBe(12);
    const final = await readRunEvents(dir);
    expect(final.map((e) => e.seq)).toEqual(final.map((_, i) => i));
    const metrics = JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8")) as { train_loss: number[] };
    expect(metrics.train_loss).toHaveLength(12);
    expect((await readRunInfo(dir)).status).toBe("succeeded");
  });
});
