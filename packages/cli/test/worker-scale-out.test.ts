import { existsSync } from "node:fs";
import { join } from "node:path";
import { Health, RunPage, type RunSummary } from "@layerlab/api";
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
// The waits below fail as soon as the runs stop moving, or when what they wait for never comes; the
// generous test timeouts are only a backstop, so that a slow, loaded machine fails nothing.

let fleet: Fleet;
/**
 * The uploaded dataset most runs train on: two classes of 28×28 greys, 120 each. A saved
 * dataset is read from a file the worker downloads once; the built-in shapes are drawn anew
 * (3000 images, seconds of CPU) in every fresh training thread.
 */
let greys = "";

beforeAll(async () => {
  fleet = await startFleet({ leaseSeconds: LEASE_S });
  fleet.startWorker("alpha", 2);
  fleet.startWorker("beta", 2);
  // Both workers up before anything is queued, as a user would start them.
  await waitFor("both workers to report to the server", 300_000, async () => {
    const health = Health.parse((await fleet.api("GET", "/api/health")).body);
    return ["alpha", "beta"].every((name) => health.workers.some((w) => w.name === name && w.alive));
  });
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 120; i++) {
    files[`dark/${i}.png`] = await solidImage("png", 28, 28, 20 + (i % 80));
    files[`light/${i}.png`] = await solidImage("png", 28, 28, 235 - (i % 80));
  }
  greys = await uploadDataset("greys.zip", files);
}, 600_000);

afterAll(async () => {
  await fleet?.close();
});

/** The end of every process's output, to see why a wait timed out. */
function fleetOutput(): string {
  const tail = (text: string) => text.slice(-4000);
  const workers = [...fleet.workers.values()].map((w) => `--- worker ${w.name}:\n${tail(w.output())}`);
  return [...workers, `--- server:\n${tail(fleet.server.output())}`].join("\n");
}

/** Uploads an ImageFolder ZIP of `files` (class/name → image) to the server; the dataset's id. */
async function uploadDataset(name: string, files: Record<string, Buffer>): Promise<string> {
  const form = new FormData();
  form.set("file", new Blob([new Uint8Array(await zipBuffer(files))]), name);
  const uploaded = await fetch(`${fleet.url}/api/datasets`, {
    method: "POST",
    body: form,
    headers: { authorization: `Bearer ${fleet.token}` },
  });
  expect(uploaded.status).toBe(201);
  return ((await uploaded.json()) as { id: string }).id;
}

/** Queues a server run of the MLP template, on the uploaded greys unless told otherwise. */
function queueRun(seed: number, epochs: number, opts: { limit?: number; dataset?: string } = {}): Promise<string> {
  return fleet.queueRun({
    template: "mlp",
    dataset: opts.dataset ?? greys,
    executor: "server",
    ...(opts.limit !== undefined && { limit: opts.limit }),
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

/** The runs `ids` as the run list shows them: one request however many runs are watched. */
async function listed(ids: string[]): Promise<RunSummary[]> {
  const { runs } = RunPage.parse((await fleet.api("GET", "/api/runs?limit=1000")).body);
  return ids.map((id) => {
    const found = runs.find((r) => r.id === id);
    if (!found) throw new Error(`run ${id} is missing from the run list`);
    return found;
  });
}

/**
 * Waits, as a user watching the queue would, until every run of `ids` has
 * ended: however slow the machine, as long as the runs move on (one starts for
 * the first time, finishes an epoch, or ends). Fails once nothing has moved for
 * `stallMs` (a fresh training thread's start on a heavily loaded machine takes
 * up to about two minutes): runs that are stuck, or taken away and started again forever.
 */
async function allEnded(ids: string[], stallMs = 180_000): Promise<RunSummary[]> {
  const started = new Set<string>();
  const epochs = new Map<string, number>();
  let progress = -1;
  let movedAt = Date.now();
  for (;;) {
    const runs = await listed(ids).catch(() => null);
    if (runs?.every((r) => !["queued", "running"].includes(r.status))) return runs;
    for (const r of runs ?? []) {
      if (r.status !== "queued") started.add(r.id);
      epochs.set(r.id, Math.max(epochs.get(r.id) ?? 0, r.epochsDone));
    }
    const ended = runs?.filter((r) => !["queued", "running"].includes(r.status)).length ?? 0;
    const now = started.size + ended + [...epochs.values()].reduce((a, b) => a + b, 0);
    if (now > progress) {
      progress = now;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) {
      const states = runs?.map((r) => `${r.id} ${r.status} (${r.epochsDone} epochs, ${r.worker ?? "no worker"})`);
      throw new Error(
        `runs stopped moving for ${stallMs / 1000} s before all ended: ${states?.join("; ")}\n${fleetOutput()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
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
  }, 300_000);

  it("spreads queued runs over both workers, each recorded with its worker", async () => {
    // More runs than the four slots, so some wait in the queue; each one tiny (two batches).
    const ids: string[] = [];
    for (let seed = 1; seed <= 6; seed++) ids.push(await queueRun(seed, 1, { limit: 64 }));
    const runs = await allEnded(ids);
    expect(runs.map((r) => r.status)).toEqual(ids.map(() => "succeeded"));
    expect(new Set(runs.map((r) => r.worker))).toEqual(new Set(["alpha", "beta"]));
    // One training session each: no run was taken from a worker that was still training it.
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
  }, 600_000);

  it("resumes a killed worker's run on the other, to the weights of an uninterrupted run", async () => {
    // Many short epochs (six steps each): the run is still training between its first checkpoint and the
    // kill, however fast the machine, and the resumed run has most of them left.
    const EPOCHS = 16;
    const id = await queueRun(77, EPOCHS);
    // Killed once its first checkpoint is on the server and before the last.
    const holder = await waitFor("a checkpoint of the run on the server", 240_000, async () => {
      const r = await run(id);
      const uploaded = r.artifacts.some((a) => a.name === "optimizer.safetensors");
      return r.status === "running" && uploaded && r.epochsDone >= 1 && r.epochsDone < EPOCHS && (r.worker as string);
    });
    await fleet.workers.get(holder)!.stop("SIGKILL");
    const other = holder === "alpha" ? "beta" : "alpha";
    // The reference trains on the surviving worker alone, without interruption.
    const reference = await queueRun(77, EPOCHS);
    const ended = await allEnded([id, reference]);
    expect(ended.map((r) => [r.status, r.worker])).toEqual([
      ["succeeded", other],
      ["succeeded", other],
    ]);
    await expectCompleteLog(id, 2);
    await expectCompleteLog(reference, 1);
    expect((await weights(id)).equals(await weights(reference))).toBe(true);
    fleet.startWorker(holder, 2);
  }, 600_000);

  it("hands on the run of a worker restarted under the same name", async () => {
    // Long enough (16 short epochs) that the run is still training when the test sees its first checkpoint:
    // with 3 epochs it could finish between two polls and the test would wait for nothing.
    const epochs = 16;
    const id = await queueRun(88, epochs);
    const holder = await waitFor("a checkpoint of the run on the server", 240_000, async () => {
      const r = await run(id);
      return r.status === "running" && r.epochsDone >= 1 && r.epochsDone < epochs && r.worker;
    });
    // Back at once: its name never goes silent, but its heartbeats no longer list the run.
    await fleet.workers.get(holder)!.stop("SIGKILL");
    fleet.startWorker(holder, 2);
    expect((await allEnded([id])).map((r) => r.status)).toEqual(["succeeded"]);
    await expectCompleteLog(id, 2);
  }, 600_000);

  it("stops a run a user aborts, and takes the next, on an uploaded dataset", async () => {
    // On the built-in shapes: a worker's thread draws them itself.
    const id = await queueRun(55, 30, { dataset: "shapes", limit: 600 });
    await waitFor("the run to train on a worker", 240_000, async () => (await run(id)).epochsDone >= 1);
    expect((await fleet.api("POST", `/api/runs/${id}/abort`)).status).toBe(202);
    expect((await allEnded([id])).map((r) => r.status)).toEqual(["aborted"]);
    const events = await fleet.events(id);
    expect(events.at(-1)).toMatchObject({ type: "aborted", reason: "aborted by user" });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    // The next run trains on a newly uploaded dataset, which the worker downloads from the server.
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 12; i++) {
      files[`dark/${i}.png`] = await solidImage("png", 12, 12, 10 + i);
      files[`light/${i}.png`] = await solidImage("png", 12, 12, 230 - i);
    }
    const dataset = await uploadDataset("tones.zip", files);
    const next = await fleet.queueRun({
      template: "mlp",
      dataset,
      executor: "server",
      config: { epochs: 1, batchSize: 8 },
    });
    const [ended] = await allEnded([next]);
    expect([ended?.status, ended?.error]).toEqual(["succeeded", null]);
    const holder = fleet.workers.get(ended?.worker ?? "")!;
    expect(existsSync(join(holder.dataDir, "datasets", `${dataset}.lldata`))).toBe(true);
  }, 300_000);

  it("leaves a run with its worker when the server itself stood still for longer than a lease", async () => {
    // Still training when the server stops: many short epochs, as above.
    const id = await queueRun(66, 16);
    const holder = await waitFor("the run to train on a worker", 240_000, async () => {
      const r = await run(id);
      return r.status === "running" && r.epochsDone >= 1 && r.epochsDone < 16 && r.worker;
    });
    // A server that cannot run for a while (an overloaded machine, a long pause) hears nobody meanwhile:
    // that silence is its own, and taking the run from a healthy worker for it would train the run twice.
    fleet.server.child.kill("SIGSTOP");
    await new Promise((r) => setTimeout(r, 2 * LEASE_S * 1000));
    fleet.server.child.kill("SIGCONT");
    const [ended] = await allEnded([id]);
    expect([ended?.status, ended?.worker]).toEqual(["succeeded", holder]);
    await expectCompleteLog(id, 1);
  }, 300_000);

  it("keeps training through a server kill and restart, losing nothing and training nothing twice", async () => {
    const ids: string[] = [];
    // Eight short epochs each, so that one is surely mid-run when the server is killed.
    for (let seed = 101; seed <= 104; seed++) ids.push(await queueRun(seed, 8));
    await waitFor("a run to have a checkpoint", 240_000, async () => {
      const runs = await Promise.all(ids.map(run));
      return runs.some((r) => r.status === "running" && r.epochsDone >= 1);
    });
    await fleet.restartServer();
    const runs = await allEnded(ids);
    expect(runs.map((r) => r.status)).toEqual(ids.map(() => "succeeded"));
    for (const id of ids) await expectCompleteLog(id, 1);
    for (const w of fleet.workers.values()) expect(w.child.exitCode, w.output()).toBeNull();
    // SIGTERM: the worker stops claiming and exits.
    expect(await fleet.workers.get("alpha")!.stop("SIGTERM")).toBe(0);
  }, 600_000);
});
