import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadServerConfig } from "../src/config";
import { runServerExpectingExit } from "./child-server";
import { api, startTestServer, type TestServer } from "./helpers";
import { registryOnPostgres } from "./postgres/database";

// Runs in the "fast-shared" project (SQLite) and in the "postgres" project (its own PostgreSQL cluster).
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("the registry database", () => {
  it("is the one the environment chose, and /api/health names it", async () => {
    const health = await api(server.url, "GET", "/api/health");
    expect(health.status).toBe(200);
    expect(health.body.database).toBe(registryOnPostgres() ? "postgres" : "sqlite");
  });

  it("stores numbers as they were given: fractions to the last bit, times as numbers", async () => {
    const learningRate = 0.001; // a 4-byte float column would give back 0.0010000000474974513
    expect(Math.fround(learningRate)).not.toBe(learningRate);
    const created = await api(server.url, "POST", "/api/runs", {
      template: "mlp",
      dataset: "shapes",
      executor: "browser",
      config: { learningRate, epochs: 1 },
      name: "precision",
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const run = (await api(server.url, "GET", `/api/runs/${id}`)).body;
    expect(run.learningRate).toBe(learningRate);
    expect(typeof run.createdAt).toBe("number");
    expect(Math.abs(run.createdAt - Date.now())).toBeLessThan(60_000);
    const listed = (await api(server.url, "GET", "/api/runs?text=precision")).body;
    expect(listed.total).toBe(1);
    expect(listed.runs[0].learningRate).toBe(learningRate);
  });

  it("refuses a DATABASE_URL that is not PostgreSQL, naming the fix", () => {
    expect(() => loadServerConfig({ DATABASE_URL: "mysql://u:secret@db/x" })).toThrow(ConfigError);
    expect(() => loadServerConfig({ DATABASE_URL: "mysql://u:secret@db/x" })).toThrow(
      /postgres:\/\/user:password@host/,
    );
    expect(() => loadServerConfig({ DATABASE_URL: "mysql://u:secret@db/x" })).not.toThrow(/secret/);
    expect(loadServerConfig({}).databaseUrl).toBeNull();
  });

  it("names an unreachable PostgreSQL and the fix, and does not start", async () => {
    const exit = await runServerExpectingExit({
      DATA_DIR: server.dataDir,
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/layerlab",
    });
    expect(exit.code).toBe(1);
    expect(exit.output).toMatch(/cannot use the registry database 127\.0\.0\.1:1\/layerlab \(DATABASE_URL\)/);
    expect(exit.output).toMatch(/unset DATABASE_URL to keep the registry in SQLite/);
  });
});
