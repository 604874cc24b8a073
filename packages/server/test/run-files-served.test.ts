// Every file a finished server run lists is served: its done event's artifacts
// (optimizer.safetensors included) and curves.png, drawn from metrics.json on
// request and drawn again once metrics.json is replaced.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, readSse, SMALL_RUN, startTestServer, type TestServer, waitForStatus } from "./helpers";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
let server: TestServer;
let runId = "";
let artifacts: string[] = [];

const get = (name: string) => fetch(`${server.url}/api/runs/${runId}/artifacts/${name}`);

beforeAll(async () => {
  server = await startTestServer();
  const created = await api(server.url, "POST", "/api/runs", { ...SMALL_RUN, ifExists: "new" });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  runId = created.body.id;
  await waitForStatus(server.url, runId, ["succeeded"]);
  const events = await readSse(`${server.url}/api/runs/${runId}/events`, {
    until: (m) => m.some((e) => e.event === "done"),
  });
  artifacts = events.find((e) => e.event === "done")!.data.artifacts;
}, 180_000);

afterAll(async () => {
  await server?.close();
});

describe("a finished server run's files", () => {
  it("lists optimizer.safetensors among its artifacts, and every listed artifact downloads", async () => {
    expect(artifacts).toContain("optimizer.safetensors");
    for (const name of artifacts) {
      const res = await get(name);
      expect(res.status, `${name}: ${res.status}`).toBe(200);
      await res.arrayBuffer();
    }
  });

  it("serves curves.png as a PNG, the same bytes while metrics.json is unchanged", async () => {
    const first = await get("curves.png");
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("image/png");
    const bytes = new Uint8Array(await first.arrayBuffer());
    expect([...bytes.subarray(0, 4)]).toEqual(PNG_MAGIC);
    const again = new Uint8Array(await (await get("curves.png")).arrayBuffer());
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it("draws curves.png again once metrics.json is replaced", async () => {
    const before = Buffer.from(await (await get("curves.png")).arrayBuffer());
    const path = join(server.dataDir, "runs", runId, "metrics.json");
    const metrics = JSON.parse(readFileSync(path, "utf8"));
    metrics.train_loss = metrics.train_loss.map((l: number) => l * 3 + 1);
    // Replaced the way the runner replaces it: a new file renamed into place.
    writeFileSync(`${path}.tmp`, JSON.stringify(metrics));
    renameSync(`${path}.tmp`, path);
    const after = Buffer.from(await (await get("curves.png")).arrayBuffer());
    expect(after.equals(before)).toBe(false);
  });

  it("answers 404 with the reason for a run without metrics", async () => {
    const browser = await api(server.url, "POST", "/api/runs", { ...SMALL_RUN, executor: "browser", ifExists: "new" });
    const res = await api(server.url, "GET", `/api/runs/${browser.body.id}/artifacts/curves.png`);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/has no metrics\.json/);
  });
});
