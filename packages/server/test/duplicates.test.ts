import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/connect";
import { registryMigrator } from "../src/db/migrations";
import { api, startTestServer, type TestServer } from "./helpers";
import { databaseUrlFor } from "./postgres/database";

// Browser runs: the server registers them without training, so each create is only registry work.
const BROWSER_RUN = { template: "mlp", dataset: "shapes", executor: "browser", config: { epochs: 1 } } as const;

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(async () => {
  await server?.close();
});

/** The fields of a list item these tests read. */
interface ListedRun {
  id: string;
  fingerprint: string;
}

/** Every run the server lists with this fingerprint. */
async function runsWithFingerprint(url: string, fingerprint: string): Promise<ListedRun[]> {
  const { body } = await api(url, "GET", "/api/runs?limit=1000");
  return (body.runs as ListedRun[]).filter((r) => r.fingerprint === fingerprint);
}

/** Sends `n` copies of one create request at once. */
function concurrentCreates(url: string, body: unknown, n: number) {
  return Promise.all(Array.from({ length: n }, () => api(url, "POST", "/api/runs", body)));
}

describe("duplicate detection under concurrency", () => {
  it("creates exactly one run when eight identical requests race, ten times over", async () => {
    for (let trial = 0; trial < 10; trial++) {
      const body = { ...BROWSER_RUN, limit: 100 + trial };
      const answers = await concurrentCreates(base, body, 8);
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, `trial ${trial}`).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      const created = answers.find((a) => a.status === 201)!.body;
      for (const refused of answers.filter((a) => a.status === 409)) {
        expect(refused.body.error).toContain('ifExists: "reuse"');
        expect(refused.body.run.id).toBe(created.id);
      }
      const runs = await runsWithFingerprint(base, created.fingerprint);
      expect(runs.map((r) => r.id)).toEqual([created.id]);
    }
  });

  it("leaves one run when six overwrites of the same configuration race", async () => {
    const body = { ...BROWSER_RUN, limit: 300 };
    const first = await api(base, "POST", "/api/runs", body);
    expect(first.status).toBe(201);
    const answers = await concurrentCreates(base, { ...body, ifExists: "overwrite" }, 6);
    for (const a of answers) expect([201, 409], JSON.stringify(a.body)).toContain(a.status);
    const runs = await runsWithFingerprint(base, first.body.fingerprint);
    expect(runs).toHaveLength(1);
    const survivor = runs[0]!.id;
    expect(answers.filter((a) => a.status === 201).map((a) => a.body.id)).toContain(survivor);
    // Only the survivor keeps a folder; every replaced run's folder is gone.
    for (const id of [first.body.id, ...answers.map((a) => a.body.id).filter(Boolean)]) {
      expect(existsSync(join(server.dataDir, "runs", id)), id).toBe(id === survivor);
    }
  });

  it('still makes copies with ifExists: "new", and the copies do not open the door to a second original', async () => {
    const body = { ...BROWSER_RUN, limit: 400 };
    const first = await api(base, "POST", "/api/runs", body);
    expect(first.status).toBe(201);
    const copies = await concurrentCreates(base, { ...body, ifExists: "new" }, 3);
    expect(copies.map((c) => c.status)).toEqual([201, 201, 201]);
    expect(await runsWithFingerprint(base, first.body.fingerprint)).toHaveLength(4);
    // The original is deleted: its copies still count as the configuration's runs.
    expect((await api(base, "DELETE", `/api/runs/${first.body.id}`)).status).toBe(204);
    const again = await concurrentCreates(base, body, 4);
    expect(again.map((a) => a.status)).toEqual([409, 409, 409, 409]);
    const reused = await api(base, "POST", "/api/runs", { ...body, ifExists: "reuse" });
    expect(reused.status).toBe(200);
    expect(copies.map((c) => c.body.id)).toContain(reused.body.id);
    // With no run answering for the fingerprint, racing copies are all made (one of them takes that place).
    const racedCopies = await concurrentCreates(base, { ...body, ifExists: "new" }, 4);
    expect(racedCopies.map((c) => c.status)).toEqual([201, 201, 201, 201]);
    expect(await runsWithFingerprint(base, first.body.fingerprint)).toHaveLength(7);
  });
});

describe("a registry written before the fingerprint slot", () => {
  it("migrates: the newest of existing duplicates answers for the fingerprint, the rest stay as copies", async () => {
    // A run row exactly as the server writes it, to copy into the old registry.
    const made = await api(base, "POST", "/api/runs", { ...BROWSER_RUN, limit: 500 });
    expect(made.status).toBe(201);
    // Without the columns later migrations added.
    const {
      fingerprint_slot: _slot,
      train_seconds: _seconds,
      worker: _worker,
      job: _job,
      lease: _lease,
      stop_reason: _stop,
      sweep_id: _sweep,
      sweep_cell: _cell,
      ...row
    } = (await server.app.registry.getRun(made.body.id))!;

    const oldDir = mkdtempSync(join(tmpdir(), "layerlab-old-registry-"));
    try {
      // The registry the server on oldDir will open: its SQLite file, or its PostgreSQL database.
      const db = openDatabase({ dataDir: oldDir, databaseUrl: await databaseUrlFor(oldDir) });
      const { error } = await registryMigrator(db as never).migrateTo("0001_registry");
      expect(error).toBeUndefined();
      const older = { ...row, id: "run-aaaaaaaa-00000001", created_at: row.created_at - 1000 };
      const newer = { ...row, id: "run-aaaaaaaa-00000002", created_at: row.created_at };
      await db.insertInto("runs").values([older, newer]).execute();
      await db.destroy();

      const old = await startTestServer({}, oldDir);
      try {
        const listed = await runsWithFingerprint(old.url, row.fingerprint);
        expect(listed.map((r) => r.id).sort()).toEqual([older.id, newer.id]);
        const holder = await old.app.registry.runHoldingFingerprint(row.fingerprint);
        expect(holder?.id).toBe(newer.id);
        const answers = await concurrentCreates(old.url, { ...BROWSER_RUN, limit: 500 }, 4);
        expect(answers.map((a) => a.status)).toEqual([409, 409, 409, 409]);
        expect(answers[0]!.body.run.id).toBe(newer.id);
        const over = await concurrentCreates(old.url, { ...BROWSER_RUN, limit: 500, ifExists: "overwrite" }, 3);
        for (const a of over) expect([201, 409]).toContain(a.status);
        expect(await runsWithFingerprint(old.url, row.fingerprint)).toHaveLength(1);
      } finally {
        await old.close();
      }
    } finally {
      rmSync(oldDir, { recursive: true, force: true });
    }
  });
});
