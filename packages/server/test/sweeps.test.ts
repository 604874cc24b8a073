import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SweepList, SweepView } from "@layerlab/api";
import type { TrainEvent } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "./helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const SHARED = {
  template: "mlp",
  dataset: "shapes",
  limit: 120,
  config: { epochs: 1, batchSize: 16, seed: 9 },
} as const;

function startOf(runId: string): Extract<TrainEvent, { type: "start" }> {
  const lines = readFileSync(join(server.dataDir, "runs", runId, "events.jsonl"), "utf8")
    .trim()
    .split("\n");
  return lines.map((l) => JSON.parse(l) as TrainEvent).find((e) => e.type === "start") as Extract<
    TrainEvent,
    { type: "start" }
  >;
}

async function waitForSweep(id: string, timeoutMs = 180_000): Promise<SweepView> {
  const start = Date.now();
  for (;;) {
    const { body } = await api(server.url, "GET", `/api/sweeps/${id}`);
    const view = SweepView.parse(body);
    const open = view.runs.filter((r) => r.run.status === "queued" || r.run.status === "running");
    if (open.length === 0) return view;
    if (Date.now() - start > timeoutMs) throw new Error(`sweep ${id} still has ${open.length} runs open`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("sweeps on the server", () => {
  it("queues the grid from one seed, and reads the finished runs: scores, effects, findings", async () => {
    const plan = {
      axes: [
        { field: "learningRate", values: [0.001, 0.05] },
        { field: "optimizer", values: ["sgd", "adam"] },
      ],
    };
    const created = await api(server.url, "POST", "/api/sweeps", { ...SHARED, executor: "server", plan });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const first = SweepView.parse(created.body);
    expect(first.kind).toBe("grid");
    expect(first.control).toMatch(/same initial weights \(seed 9\).*only learningRate and optimizer differ/);
    expect(first.runs.map((r) => r.label)).toEqual([
      "learningRate=0.001, optimizer=sgd",
      "learningRate=0.001, optimizer=adam",
      "learningRate=0.05, optimizer=sgd",
      "learningRate=0.05, optimizer=adam",
    ]);

    const done = await waitForSweep(first.id);
    expect(done.runs.map((r) => r.run.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    expect(done.runs.map((r) => [r.run.learningRate, r.run.optimizer])).toEqual([
      [0.001, "sgd"],
      [0.001, "adam"],
      [0.05, "sgd"],
      [0.05, "adam"],
    ]);
    for (const r of done.runs) expect(r.score).toBe(r.run.metrics.testAccuracy);
    const starts = done.runs.map((r) => startOf(r.run.id));
    expect(new Set(starts.map((s) => s.initialWeightsSha256)).size).toBe(1);
    expect(new Set(starts.map((s) => s.firstBatchSha256)).size).toBe(1);
    const lrEffect = done.effects[0]!;
    expect(lrEffect.means[0]).toBeCloseTo((done.runs[0]!.score! + done.runs[1]!.score!) / 2, 10);
    expect(done.findings[0]).toMatch(/^Best: .* at \d+\.\d%; worst: /);

    const list = SweepList.parse((await api(server.url, "GET", "/api/sweeps")).body);
    expect(list.sweeps.find((s) => s.id === first.id)?.counts).toEqual({ succeeded: 4 });
  }, 240_000);

  it("registers a k-fold for the browser: one run per fold, each holding out its own fold", async () => {
    const created = await api(server.url, "POST", "/api/sweeps", { ...SHARED, executor: "browser", folds: 3 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const view = SweepView.parse(created.body);
    expect(view.kind).toBe("kfold");
    expect(view.kfold?.text).toBe("no fold of 3 has finished yet");
    const configs = await Promise.all(
      view.runs.map(async (r) => (await api(server.url, "GET", `/api/runs/${r.run.id}`)).body.config.crossValidation),
    );
    expect(configs).toEqual([0, 1, 2].map((fold) => ({ folds: 3, fold })));
    expect(view.runs.every((r) => r.run.executor === "browser" && r.run.status === "queued")).toBe(true);
  });

  it("stops and deletes a sweep as one: every run and its folder go", async () => {
    const plan = { axes: [{ field: "batchSize", values: [8, 16, 32] }] };
    const created = SweepView.parse(
      (
        await api(server.url, "POST", "/api/sweeps", {
          ...SHARED,
          executor: "server",
          config: { epochs: 30, seed: 1 },
          plan,
        })
      ).body,
    );
    const stopped = await api(server.url, "POST", `/api/sweeps/${created.id}/abort`);
    expect(stopped.status).toBe(202);
    await waitForSweep(created.id);
    const gone = await api(server.url, "DELETE", `/api/sweeps/${created.id}`);
    expect(gone.status).toBe(204);
    expect((await api(server.url, "GET", `/api/sweeps/${created.id}`)).status).toBe(404);
    for (const r of created.runs) {
      expect((await api(server.url, "GET", `/api/runs/${r.run.id}`)).status).toBe(404);
      expect(existsSync(join(server.dataDir, "runs", r.run.id))).toBe(false);
    }
  }, 120_000);

  it("refuses what is not a controlled sweep, naming the fix, and leaves nothing behind", async () => {
    const before = SweepList.parse((await api(server.url, "GET", "/api/sweeps")).body).sweeps.length;
    const seed = await api(server.url, "POST", "/api/sweeps", {
      ...SHARED,
      executor: "server",
      plan: { axes: [{ field: "seed", values: [1, 2] }] },
    });
    expect(seed.status).toBe(400);
    expect(JSON.stringify(seed.body)).toMatch(/'seed' cannot be swept/);
    const both = await api(server.url, "POST", "/api/sweeps", {
      ...SHARED,
      executor: "server",
      folds: 3,
      plan: { axes: [{ field: "learningRate", values: [0.1, 0.2] }] },
    });
    expect(both.status).toBe(400);
    expect(JSON.stringify(both.body)).toMatch(/either plan .* or folds/);
    const badSpec = await api(server.url, "POST", "/api/sweeps", {
      spec: {
        input: { shape: [1, 16, 16] },
        layers: [{ kind: "flatten" }, { kind: "dense", units: 7 }],
        classes: ["a", "b", "c"],
      },
      dataset: "shapes",
      executor: "server",
      plan: { axes: [{ field: "learningRate", values: [0.1, 0.2] }] },
    });
    expect(badSpec.status).toBe(400);
    expect(SweepList.parse((await api(server.url, "GET", "/api/sweeps")).body).sweeps.length).toBe(before);
  });
});
