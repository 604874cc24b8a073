import { existsSync } from "node:fs";
import { join } from "node:path";
import { Health, type RunDetail } from "@layerlab/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { solidImage, zipBuffer } from "../../data-node/test/fixtures";
import { type Fleet, spawnWorker, startFleet } from "../../server/test/worker-fleet";

/*
 * One server on PostgreSQL that trains nothing itself (MAX_CONCURRENT_JOBS=0)
 * and two `layerlab worker` processes, all real processes: runs spread over
 * both, a killed worker's run is resumed by the other to the same weights, a
 * killed and restarted server loses nothing, and a wrong token is named.
 */

/** Seconds of silence after which the server gives a worker's runs to others. */
const LEASE_S = 3;

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ leaseSeconds: LEASE_S });
  fleet.startWorker("alpha", 2);
  fleet.startWorker("beta", 2);
}, 120_000);

afterAll(async () => {
  await fleet?.close();
});

/** The end of every process's output, to see why a wait timed out. */
function fleetOutput(): string {
  const tail = (text: string) => text.slice(-4000);
  const workers = [...fleet.workers.values()].map((w) => `--- worker ${w.name}:\n${tail(w.output())}`);
  return [...workers, `--- server:\n${tail(fleet.server.output())}`].join("\n");
}

/** Queues a server run of the MLP template on the synthetic shapes. */
function queueRun(seed: number, epochs: number, limit: number): Promise<string> {
  return fleet.queueRun({
    template: "mlp",
    dataset: "shapes",
    executor: "server",
    limit,
    config: { epochs, seed, batchSize: 32 },
    ifExists: "new",
  });
}

const run = (id: string) => fleet.run(id);

/** Polls until `check` returns something, failing with `what` after `timeoutMs`. */
async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | null | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${fleetOutput()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function allEnded(ids: string[], timeoutMs: number): Promise<RunDetail[]> {
  return waitFor(`runs ${ids.join(", ")} to end`, timeoutMs, async () => {
    const runs = await Promise.all(ids.map(run));
    return runs.every((r) => !["queued", "running"].includes(r.status)) && runs;
  });
}

/** Asserts a run's stored events are 0..n without a gap, with one `done` at the end and `sessions` starts. */
async function expectCompleteLog(id: string, sessions: number): Promise<void> {
  const events = await fleet.events(id);
  expect(
    events.map((e) => e.seq),
    `run ${id}`,
  ).toEqual(events.map((_, i) => i));
  expect(events.filter((e) => e.type === "done").length, `done events of run ${id}`).toBe(1);
  expect(events.at(-1)?.type, `last event of run ${id}`).toBe("done");
  expect(events.filter((e) => e.type === "start").length, `training sessions of run ${id}`).toBe(sessions);
}

async function weights(id: string): Promise<Buffer> {
  const res = await fetch(`${fleet.url}/api/runs/${id}/artifacts/weights.safetensors`, {
    headers: { authorization: `Bearer ${fleet.token}` },
  });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe("layerlab worker", () => {
  it("names a refused token and exits", async () => {
    const worker = spawnWorker(
      ["--server", fleet.url, "--token", "not-the-token-at-all", "--name", "wrong"],
      "wrong",
      "",
    );
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toMatch(/refused the token \(401 Unauthorized/);
    expect(worker.output()).toMatch(/hint: pass the server's LAYERLAB_TOKEN with --token/);
  }, 60_000);

  it("spreads queued runs over both workers, each recorded with its worker", async () => {
    const ids: string[] = [];
    for (let seed = 1; seed <= 10; seed++) ids.push(await queueRun(seed, 1, 120));
    const runs = await allEnded(ids, 150_000);
    expect(runs.map((r) => r.status)).toEqual(ids.map(() => "succeeded"));
    expect(new Set(runs.map((r) => r.worker))).toEqual(new Set(["alpha", "beta"]));
    for (const id of ids) await expectCompleteLog(id, 1);
    const health = Health.parse((await fleet.api("GET", "/api/health")).body);
    expect(health.database).toBe("postgres");
    const seen = health.workers.filter((w) => ["alpha", "beta"].includes(w.name));
    expect(seen.map((w) => w.name).sort()).toEqual(["alpha", "beta"]);
    for (const w of seen) {
      expect(w.alive).toBe(true);
      expect(w.slots).toBe(2);
      expect(Date.now() - w.lastSeen).toBeLessThan(LEASE_S * 1000);
    }
  }, 180_000);

  it("resumes a killed worker's run on the other, to the weights of an uninterrupted run", async () => {
    const id = await queueRun(77, 4, 600);
    // Killed once its first checkpoint is on the server and before the last.
    const holder = await waitFor("a checkpoint of the run on the server", 120_000, async () => {
      const r = await run(id);
      const uploaded = r.artifacts.some((a) => a.name === "optimizer.safetensors");
      return r.status === "running" && uploaded && r.epochsDone >= 1 && r.epochsDone < 4 && (r.worker as string);
    });
    await fleet.workers.get(holder)!.stop("SIGKILL");
    const other = holder === "alpha" ? "beta" : "alpha";
    // The reference trains on the surviving worker alone, without interruption.
    const reference = await queueRun(77, 4, 600);
    const ended = await allEnded([id, reference], 150_000);
    expect(ended.map((r) => [r.status, r.worker])).toEqual([
      ["succeeded", other],
      ["succeeded", other],
    ]);
    await expectCompleteLog(id, 2);
    await expectCompleteLog(reference, 1);
    expect((await weights(id)).equals(await weights(reference))).toBe(true);
    fleet.startWorker(holder, 2);
  }, 300_000);

  it("hands on the run of a worker restarted under the same name", async () => {
    // Long enough (12 short epochs) that the run is still training when the test sees its first checkpoint:
    // with 3 epochs it could finish between two polls and the test would wait for nothing.
    const epochs = 12;
    const id = await queueRun(88, epochs, 400);
    const holder = await waitFor("a checkpoint of the run on the server", 120_000, async () => {
      const r = await run(id);
      return r.status === "running" && r.epochsDone >= 1 && r.epochsDone < epochs && r.worker;
    });
    // Back at once: its name never goes silent, but its heartbeats no longer list the run.
    await fleet.workers.get(holder)!.stop("SIGKILL");
    fleet.startWorker(holder, 2);
    expect((await allEnded([id], 120_000)).map((r) => r.status)).toEqual(["succeeded"]);
    await expectCompleteLog(id, 2);
  }, 180_000);

  it("stops a run a user aborts, and takes the next, on an uploaded dataset", async () => {
    const id = await queueRun(55, 30, 600);
    await waitFor("the run to train on a worker", 60_000, async () => (await run(id)).epochsDone >= 1);
    expect((await fleet.api("POST", `/api/runs/${id}/abort`)).status).toBe(202);
    expect((await allEnded([id], 60_000)).map((r) => r.status)).toEqual(["aborted"]);
    const events = await fleet.events(id);
    expect(events.at(-1)).toMatchObject({ type: "aborted", reason: "aborted by user" });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    // The next run trains on an uploaded dataset, which the worker downloads from the server.
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 12; i++) {
      files[`dark/${i}.png`] = await solidImage("png", 12, 12, 10 + i);
      files[`light/${i}.png`] = await solidImage("png", 12, 12, 230 - i);
    }
    const form = new FormData();
    form.set("file", new Blob([new Uint8Array(await zipBuffer(files))]), "tones.zip");
    const uploaded = await fetch(`${fleet.url}/api/datasets`, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${fleet.token}` },
    });
    expect(uploaded.status).toBe(201);
    const { id: dataset } = (await uploaded.json()) as { id: string };
    const next = await fleet.queueRun({
      template: "mlp",
      dataset,
      executor: "server",
      config: { epochs: 1, batchSize: 8 },
    });
    const [ended] = await allEnded([next], 60_000);
    expect([ended?.status, ended?.error]).toEqual(["succeeded", null]);
    const holder = fleet.workers.get(ended?.worker ?? "")!;
    expect(existsSync(join(holder.dataDir, "datasets", `${dataset}.lldata`))).toBe(true);
  }, 120_000);

  it("keeps training through a server kill and restart, losing nothing and training nothing twice", async () => {
    const ids: string[] = [];
    for (let seed = 101; seed <= 104; seed++) ids.push(await queueRun(seed, 3, 400));
    await waitFor("a run to have a checkpoint", 120_000, async () => {
      const runs = await Promise.all(ids.map(run));
      return runs.some((r) => r.status === "running" && r.epochsDone >= 1);
    });
    await fleet.restartServer();
    const runs = await allEnded(ids, 180_000);
    expect(runs.map((r) => r.status)).toEqual(ids.map(() => "succeeded"));
    for (const id of ids) await expectCompleteLog(id, 1);
    for (const w of fleet.workers.values()) expect(w.child.exitCode, w.output()).toBeNull();
    // SIGTERM: the worker stops claiming and exits.
    expect(await fleet.workers.get("alpha")!.stop("SIGTERM")).toBe(0);
  }, 300_000);
});
