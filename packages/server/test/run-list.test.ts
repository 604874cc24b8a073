import type { RunPage, RunView } from "@layerlab/api";
import { LEARNING_RATE_RANGE_NAMES, LEARNING_RATE_RANGES, learningRateRangeOf } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "./helpers";
import { finishedEvents } from "./model-fixtures";

// The run list over more runs than one page holds: paging, filters and sorting
// are the server's, so the oldest run is as reachable as the newest.

const RUNS = 130;
/** Learning rates the younger runs cycle through: none of them in the "low" range. */
const YOUNGER_RATES = [1e-3, 3e-4, 7e-4, 0.02, 5e-6];
/** The learning rate of the i-th run created (i ≥ 1). */
const youngerRate = (i: number) => YOUNGER_RATES[i % YOUNGER_RATES.length]!;

let server: TestServer;
let base: string;
let oldest: string;

/** Registers a browser run (never trained) with this learning rate. */
async function browserRun(learningRate: number, extra: Record<string, unknown> = {}): Promise<RunView> {
  const created = await api(base, "POST", "/api/runs", {
    template: "mlp",
    dataset: "shapes",
    executor: "browser",
    ifExists: "new",
    config: { learningRate },
    ...extra,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

/** GET /api/runs with this query string. */
async function list(query: string): Promise<RunPage> {
  const res = await api(base, "GET", `/api/runs?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Ends a browser run as the browser would, with this test accuracy. */
async function finish(id: string, testAccuracy: number): Promise<void> {
  const posted = await api(base, "POST", `/api/runs/${id}/events`, { events: finishedEvents(testAccuracy) });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
}

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
  const first = await browserRun(3e-5, { tags: ["first"] });
  oldest = first.id;
  // Every later run is created at a later millisecond, so "oldest" is one run, not a tie.
  while (Date.now() <= first.createdAt) await new Promise((r) => setImmediate(r));
  for (let i = 1; i < RUNS; i++) await browserRun(youngerRate(i));
}, 60_000);
afterAll(async () => {
  await server?.close();
});

describe("the run list past its first page", () => {
  it("counts every run and pages through all of them, the oldest last", async () => {
    const firstPage = await list("");
    expect(firstPage.runs).toHaveLength(100);
    expect(firstPage.total).toBe(RUNS);
    expect(firstPage.runs.map((r) => r.id)).not.toContain(oldest);
    const seen: string[] = [];
    for (let offset = 0; offset < RUNS; offset += 25) {
      const page = await list(`limit=25&offset=${offset}`);
      expect(page.total).toBe(RUNS);
      expect(page.runs).toHaveLength(Math.min(25, RUNS - offset));
      seen.push(...page.runs.map((r) => r.id));
    }
    expect(new Set(seen).size).toBe(RUNS);
    expect(seen.at(-1)).toBe(oldest);
    expect((await list(`limit=25&offset=${RUNS}`)).runs).toEqual([]);
  });

  it("finds the oldest run by a filter, with the filter's total", async () => {
    const low = await list("learningRate=low");
    expect(low.runs.map((r) => r.id)).toEqual([oldest]);
    expect(low.total).toBe(1);
    expect((await list("tag=first")).runs.map((r) => r.id)).toEqual([oldest]);
    const high = await list("learningRate=high&limit=5");
    expect(high.runs).toHaveLength(5);
    expect(high.total).toBe((await list("learningRate=high&limit=1000")).runs.length);
    const atOneInAThousand = Array.from({ length: RUNS - 1 }, (_, i) => youngerRate(i + 1)).filter((lr) => lr === 1e-3);
    expect(high.total).toBe(atOneInAThousand.length);
  });

  it("sorts by test accuracy over every run, not the newest page; runs without one come last", async () => {
    await finish(oldest, 0.97);
    const [newer, newest] = (await list("limit=2")).runs.map((r) => r.id) as [string, string];
    await finish(newer, 0.5);
    await finish(newest, 0.6);
    const best = await list("sort=testAccuracy&order=desc&limit=3");
    expect(best.runs.map((r) => r.id)).toEqual([oldest, newest, newer]);
    expect(best.total).toBe(RUNS);
    const worst = await list("sort=testAccuracy&order=asc&limit=3");
    expect(worst.runs.map((r) => r.id)).toEqual([newer, newest, oldest]);
    const last = await list(`sort=testAccuracy&order=asc&limit=1&offset=${RUNS - 1}`);
    expect(last.runs[0]?.metrics.testAccuracy).toBeNull();
  });

  it("names unnamed runs by what sets them apart", async () => {
    const run = await browserRun(3e-4, { config: { learningRate: 3e-4, batchSize: 16, optimizer: "sgd" } });
    expect(run.name).toMatch(/^MLP \d+-128-64-\d+ · shapes · sgd 3e-4 · bs 16$/);
    await api(base, "DELETE", `/api/runs/${run.id}`);
  });
});

describe("learning-rate ranges in the filter", () => {
  const edges = LEARNING_RATE_RANGES.slice(1).map((r) => r.low);

  it("file each range edge (0.001 included) under exactly the range the shared table names", async () => {
    const byRate = new Map<number, string>();
    for (const lr of edges) byRate.set(lr, (await browserRun(lr, { tags: ["edge"] })).id);
    const foundUnder = new Map<string, string[]>();
    for (const name of LEARNING_RATE_RANGE_NAMES) {
      for (const run of (await list(`tag=edge&learningRate=${name}`)).runs) {
        foundUnder.set(run.id, [...(foundUnder.get(run.id) ?? []), name]);
      }
    }
    for (const lr of edges)
      expect(foundUnder.get(byRate.get(lr)!), `lr ${lr}`).toEqual([learningRateRangeOf(lr)!.name]);
    expect(foundUnder.get(byRate.get(0.001)!)).toEqual(["high"]);
    for (const id of byRate.values()) await api(base, "DELETE", `/api/runs/${id}`);
  });

  it("refuses a range name it does not know", async () => {
    expect((await api(base, "GET", "/api/runs?learningRate=medium")).status).toBe(400);
  });
});

describe("tags typed with commas", () => {
  it("are split into separate tags on create and on edit, and found one by one", async () => {
    const run = await browserRun(2e-3, { tags: ["baseline, walk", " walk "] });
    expect(run.tags).toEqual(["baseline", "walk"]);
    expect((await list("tag=walk")).runs.map((r) => r.id)).toEqual([run.id]);
    const patched = await api(base, "PATCH", `/api/runs/${run.id}`, { tags: ["a, b,, ", "c", "b"] });
    expect(patched.status).toBe(200);
    expect(patched.body.tags).toEqual(["a", "b", "c"]);
    expect((await list("tag=walk")).total).toBe(0);
    const tooMany = await api(base, "PATCH", `/api/runs/${run.id}`, {
      tags: Array.from({ length: 20 }, (_, i) => `x${i}, y${i}`),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatch(/40 tags.*at most 32/);
    await api(base, "DELETE", `/api/runs/${run.id}`);
  });
});
