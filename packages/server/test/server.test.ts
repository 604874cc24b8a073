import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { decodeDataset } from "@layerlab/data-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ConfigError, loadServerConfig } from "../src/config";
import { api, readSse, SMALL_RUN, startTestServer, type TestServer, waitForStatus } from "./helpers";
import { constantWeights, finishedEvents } from "./model-fixtures";

let server: TestServer;
let base: string;
let firstRun: any;

beforeAll(async () => {
  server = await startTestServer({ MAX_UPLOAD_MB: "1" });
  base = server.url;
  const created = await api(base, "POST", "/api/runs", { ...SMALL_RUN, name: "first", tags: ["baseline"] });
  expect(created.status).toBe(201);
  firstRun = created.body;
});
afterAll(async () => {
  await server?.close();
});

describe("health, docs, web app", () => {
  it("answers /api/health, the OpenAPI document and / without a web build", async () => {
    const health = await api(base, "GET", "/api/health");
    expect(health.status).toBe(200);
    expect(health.body.ok).toBe(true);
    const docs = await api(base, "GET", "/api/docs");
    expect(docs.body.openapi).toMatch(/^3\./);
    expect(Object.keys(docs.body.paths)).toContain("/api/runs/{id}/events");
    const root = await fetch(`${base}/`);
    expect(await root.text()).toContain("/api/docs");
    // Cross-origin isolation, so the page's engine gets SharedArrayBuffer and multithreaded Wasm.
    expect(root.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(root.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    const missing = await api(base, "GET", "/api/nothing-here");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain("/api/nothing-here");
  });
});

describe("runs", () => {
  it("trains a server run to success with events, metrics and artifacts", async () => {
    expect(firstRun.id).toMatch(/^run-/);
    expect(["queued", "running"]).toContain(firstRun.status);
    const messages = await readSse(`${base}/api/runs/${firstRun.id}/events`);
    const types = messages.map((m) => m.event);
    expect(types[0]).toBe("start");
    expect(types.at(-2)).toBe("done");
    expect(types.at(-1)).toBe("end");
    const seqs = messages.filter((m) => m.id !== null).map((m) => m.id);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    const run = await waitForStatus(base, firstRun.id, ["succeeded"]);
    expect(run.epochsDone).toBe(2);
    expect(run.epochMetrics).toHaveLength(2);
    expect(run.metrics.testAccuracy).toBeGreaterThan(0);
    for (const name of ["weights.safetensors", "metrics.csv", "metrics.json", "events.jsonl"]) {
      const res = await fetch(`${base}/api/runs/${firstRun.id}/artifacts/${name}`);
      expect(res.status, name).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    const csv = await (await fetch(`${base}/api/runs/${firstRun.id}/artifacts/metrics.csv`)).text();
    expect(csv.trim().split("\n")).toHaveLength(3);
    const onnx = await fetch(`${base}/api/runs/${firstRun.id}/artifacts/model.onnx`);
    expect(onnx.status).toBe(200);
    const report = await fetch(`${base}/api/runs/${firstRun.id}/artifacts/report.html`);
    expect(report.status).toBe(200);
    const html = await report.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain("first");
    expect(html).toMatch(/confusion/i);
    const unknown = await api(base, "GET", `/api/runs/${firstRun.id}/artifacts/..%2Fregistry.sqlite`);
    expect(unknown.status).toBe(404);
  });

  it("detects duplicates in all four modes", async () => {
    await waitForStatus(base, firstRun.id, ["succeeded"]);
    const dup = await api(base, "POST", "/api/runs", SMALL_RUN);
    expect(dup.status).toBe(409);
    expect(dup.body.run.id).toBe(firstRun.id);
    const total = async () => (await api(base, "GET", "/api/runs")).body.total as number;
    const before = await total();
    // The studio asks this way, so that a duplicate is an answer rather than a refusal: it creates nothing.
    const reuse = await api(base, "POST", "/api/runs", { ...SMALL_RUN, ifExists: "reuse" });
    expect(reuse.status).toBe(200);
    expect(reuse.body.id).toBe(firstRun.id);
    expect(await total()).toBe(before);
    const fresh = await api(base, "POST", "/api/runs", { ...SMALL_RUN, ifExists: "new", executor: "browser" });
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(firstRun.id);
    expect(fresh.body.fingerprint).toBe(firstRun.fingerprint);
    // Overwrite replaces every run of that fingerprint: both earlier ones are gone.
    const over = await api(base, "POST", "/api/runs", {
      ...SMALL_RUN,
      ifExists: "overwrite",
      executor: "browser",
      name: "overwritten",
    });
    expect(over.status).toBe(201);
    expect((await api(base, "GET", `/api/runs/${firstRun.id}`)).status).toBe(404);
    expect((await api(base, "GET", `/api/runs/${fresh.body.id}`)).status).toBe(404);
    expect(existsSync(join(server.dataDir, "runs", firstRun.id))).toBe(false);
    await api(base, "DELETE", `/api/runs/${over.body.id}`);
  });

  it("rejects bad requests with a message naming the problem", async () => {
    const noDataset = await api(base, "POST", "/api/runs", { template: "mlp", executor: "server" });
    expect(noDataset.status).toBe(400);
    const path = await api(base, "POST", "/api/runs", { ...SMALL_RUN, dataset: "/etc/passwd" });
    expect(path.status).toBe(400);
    expect(path.body.error).toContain("built-in");
    const badTemplate = await api(base, "POST", "/api/runs", { ...SMALL_RUN, template: "nope" });
    expect(badTemplate.status).toBe(400);
    expect(badTemplate.body.problems.join(" ")).toContain("mlp");
    const badConfig = await api(base, "POST", "/api/runs", { ...SMALL_RUN, config: { learningRate: -1 } });
    expect(badConfig.status).toBe(400);
    const wrongShape = await api(base, "POST", "/api/runs", {
      dataset: "shapes",
      executor: "server",
      spec: {
        input: { shape: [3, 32, 32] },
        layers: [{ kind: "flatten" }, { kind: "dense", units: 3 }],
        classes: ["a", "b", "c"],
      },
    });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body.error).toContain("1,28,28");
    expect((await api(base, "GET", "/api/runs/run-zzzz-00000000")).status).toBe(404);
    expect((await api(base, "GET", "/api/runs?status=bogus")).status).toBe(400);
    const browser = await api(base, "POST", "/api/runs", { ...SMALL_RUN, executor: "browser", ifExists: "new" });
    expect((await api(base, "POST", `/api/runs/${browser.body.id}/resume`)).status).toBe(409);
    expect((await api(base, "POST", `/api/runs/${browser.body.id}/abort`)).status).toBe(202);
    expect((await api(base, "POST", `/api/runs/${browser.body.id}/abort`)).status).toBe(409);
    expect((await api(base, "DELETE", `/api/runs/${browser.body.id}`)).status).toBe(204);
  });

  it("lists with filters and sorting, patches and deletes", async () => {
    const a = await api(base, "POST", "/api/runs", {
      ...SMALL_RUN,
      executor: "browser",
      name: "Alpha sgd",
      config: { optimizer: "sgd", learningRate: 0.05, epochs: 3 },
    });
    const b = await api(base, "POST", "/api/runs", {
      ...SMALL_RUN,
      executor: "browser",
      name: "Beta adam",
      config: { learningRate: 0.0002, batchSize: 16 },
    });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    const ids = (q: string) => api(base, "GET", `/api/runs?${q}`).then((r) => r.body.runs.map((x: any) => x.id));
    expect(await ids("optimizer=sgd")).toEqual([a.body.id]);
    expect(await ids("learningRate=medium-low")).toEqual([b.body.id]);
    expect(await ids("learningRateLow=0.01&learningRateHigh=0.1")).toEqual([a.body.id]);
    expect(await ids("batchSize=16")).toEqual([b.body.id]);
    expect(await ids("epochs=3&executor=browser")).toEqual([a.body.id]);
    expect(await ids("q=beta")).toEqual([b.body.id]);
    expect(await ids("sort=learningRate&order=asc&executor=browser")).toEqual([b.body.id, a.body.id]);
    const patched = await api(base, "PATCH", `/api/runs/${a.body.id}`, { tags: ["keep", "keep", "sgd"], notes: "n1" });
    expect(patched.body.tags).toEqual(["keep", "sgd"]);
    expect(await ids("tag=keep")).toEqual([a.body.id]);
    expect((await api(base, "PATCH", `/api/runs/${a.body.id}`, { color: "red" })).status).toBe(400);
    for (const id of [a.body.id, b.body.id]) {
      // Browser runs that never started can be aborted, then deleted with their folder.
      expect((await api(base, "POST", `/api/runs/${id}/abort`)).status).toBe(202);
      expect((await api(base, "DELETE", `/api/runs/${id}`)).status).toBe(204);
      expect(existsSync(join(server.dataDir, "runs", id))).toBe(false);
    }
  });

  it("registers a browser run's posted events and uploaded weights", async () => {
    const created = await api(base, "POST", "/api/runs", { ...SMALL_RUN, executor: "browser", ifExists: "new" });
    const id = created.body.id;
    const [start, epoch, done] = finishedEvents(0.9);
    const bad = await api(base, "POST", `/api/runs/${id}/events`, { events: [{ seq: 0, type: "nope" }] });
    expect(bad.status).toBe(400);
    expect((await api(base, "POST", `/api/runs/${id}/events`, { events: [start, epoch] })).body.accepted).toBe(2);
    // A retried batch is not stored twice.
    expect((await api(base, "POST", `/api/runs/${id}/events`, { events: [epoch, done] })).body.accepted).toBe(1);
    const run = await api(base, "GET", `/api/runs/${id}`);
    expect(run.body.status).toBe("succeeded");
    expect(run.body.metrics.testAccuracy).toBe(0.9);
    const history = await readSse(`${base}/api/runs/${id}/events?mode=history`);
    expect(history.filter((m) => m.id !== null).map((m) => m.id)).toEqual([0, 1, 2]);
    const spec = (await api(base, "GET", `/api/runs/${id}`)).body.spec;
    const put = await fetch(`${base}/api/runs/${id}/artifacts/weights.safetensors`, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: constantWeights(
        spec,
        spec.classes.map(() => 0),
      ),
    });
    expect(put.status).toBe(201);
    expect((await fetch(`${base}/api/runs/${id}/artifacts/weights.safetensors`)).status).toBe(200);
    expect((await api(base, "POST", `/api/runs/${firstRun.id}/events`, { events: [start] })).status).toBe(404);
    await api(base, "DELETE", `/api/runs/${id}`);
  });
});

describe("live events", () => {
  it("replays after a dropped SSE connection without gaps or repeats, to two clients, and over a WebSocket", async () => {
    const created = await api(base, "POST", "/api/runs", {
      ...SMALL_RUN,
      limit: 400,
      config: { epochs: 3, batchSize: 16 },
      name: "sse",
    });
    const url = `${base}/api/runs/${created.body.id}/events`;
    const wsMessages: any[] = [];
    const ws = new WebSocket(`${base.replace("http", "ws")}/api/runs/${created.body.id}/ws`);
    const wsClosed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
    ws.on("message", (d) => wsMessages.push(JSON.parse(d.toString())));
    const [first, other] = await Promise.all([
      readSse(url, { until: (m) => m.filter((x) => x.id !== null).length >= 3 }),
      readSse(url),
    ]);
    const lastId = first.filter((m) => m.id !== null).at(-1)!.id!;
    const rest = await readSse(url, { lastEventId: lastId });
    const joined = [...first, ...rest].filter((m) => m.id !== null).map((m) => m.id);
    const full = other.filter((m) => m.id !== null).map((m) => m.id);
    expect(joined).toEqual(full);
    expect(full).toEqual(full.map((_, i) => i));
    expect(other.at(-2)!.event).toBe("done");
    await wsClosed;
    expect(wsMessages.map((m) => m.seq)).toEqual(full);
  });

  it("aborts a running run from the WebSocket and keeps /api/health answering meanwhile", async () => {
    const created = await api(base, "POST", "/api/runs", {
      template: "cnn",
      dataset: "shapes",
      executor: "server",
      limit: 2000,
      config: { epochs: 50, batchSize: 32 },
    });
    const id = created.body.id;
    const ws = new WebSocket(`${base.replace("http", "ws")}/api/runs/${id}/ws`);
    const seen: any[] = [];
    ws.on("message", (d) => seen.push(JSON.parse(d.toString())));
    const closed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
    await readSse(`${base}/api/runs/${id}/events`, { until: (m) => m.some((x) => x.event === "batch") });
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) {
      const health = await api(base, "GET", "/api/health");
      answers.push(`${health.status} ${JSON.stringify(health.body)}`);
    }
    expect(answers, answers.join("; ")).toEqual(answers.map(() => expect.stringMatching(/^200 .*"running":1/)));
    ws.send(JSON.stringify({ type: "abort" }));
    await closed;
    expect(seen.at(-1)).toMatchObject({ type: "aborted" });
    const run = await waitForStatus(base, id, ["aborted"]);
    expect(run.status).toBe("aborted");
  });
});

describe("datasets", () => {
  it("lists built-ins, serves binary data with caching headers, refuses bad uploads leaving nothing behind", async () => {
    const list = await api(base, "GET", "/api/datasets");
    expect(list.body.builtin.map((d: any) => d.id)).toContain("mnist");
    const data = await fetch(`${base}/api/datasets/shapes/data`);
    expect(data.status).toBe(200);
    const etag = data.headers.get("etag")!;
    expect(data.headers.get("cache-control")).toContain("max-age");
    const bytes = new Uint8Array(await data.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(0, 18))).toBe("LAYERLAB-DATASET-1");
    const again = await fetch(`${base}/api/datasets/shapes/data`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect((await fetch(`${base}/api/datasets/nope/data`)).status).toBe(404);

    // The test split alone: the same test images and labels, no training images.
    const full = decodeDataset(bytes);
    const testOnly = await fetch(`${base}/api/datasets/shapes/data?split=test`);
    expect(testOnly.status).toBe(200);
    expect(testOnly.headers.get("etag")).not.toBe(etag);
    const part = decodeDataset(new Uint8Array(await testOnly.arrayBuffer()));
    expect(part.train.count).toBe(0);
    expect(part.test.count).toBe(full.test.count);
    expect(part.test.labels).toEqual(full.test.labels);
    expect(part.test.images).toEqual(full.test.images);
    expect(part.classes).toEqual(full.classes);
    expect((await fetch(`${base}/api/datasets/shapes/data?split=train`)).status).toBe(400);
    expect((await fetch(`${base}/api/datasets/nope/data?split=test`)).status).toBe(404);

    const form = new FormData();
    form.set("file", new Blob([new Uint8Array(2 * 1024 * 1024)]), "big.zip");
    const big = await fetch(`${base}/api/datasets`, { method: "POST", body: form });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toContain("MAX_UPLOAD_MB");

    const junk = new FormData();
    junk.set("file", new Blob([new TextEncoder().encode("not a zip at all")]), "junk.zip");
    const rejected = await fetch(`${base}/api/datasets`, { method: "POST", body: junk });
    expect(rejected.status).toBe(422);
    const refusal = ((await rejected.json()) as { error: string }).error;
    expect(refusal).toContain("junk.zip");
    expect(refusal).not.toContain(server.dataDir);
    expect(readdirSync(join(server.dataDir, "uploads"))).toEqual([]);
    expect((await api(base, "GET", "/api/datasets")).body.imported).toEqual([]);
    expect((await api(base, "DELETE", "/api/datasets/mnist")).status).toBe(409);
    expect((await api(base, "DELETE", "/api/datasets/ds-nope")).status).toBe(404);
  });
});

describe("inference", () => {
  it("predicts with a run's model and finds the best run for a config", async () => {
    const created = await api(base, "POST", "/api/runs", { ...SMALL_RUN, name: "predict", ifExists: "new" });
    await waitForStatus(base, created.body.id, ["succeeded"]);
    const png = await sharp({ create: { width: 56, height: 56, channels: 3, background: "black" } })
      .composite([
        { input: Buffer.from('<svg width="56" height="56"><circle cx="28" cy="28" r="18" fill="white"/></svg>') },
      ])
      .png()
      .toBuffer();
    const image = `data:image/png;base64,${png.toString("base64")}`;
    const res = await api(base, "POST", `/api/runs/${created.body.id}/predict`, { image });
    expect(res.status).toBe(200);
    expect(res.body.classes).toEqual(["circle", "square", "triangle"]);
    const sum = res.body.probabilities.reduce((a: number, b: number) => a + b, 0);
    expect(sum).toBeCloseTo(1, 4);
    expect(res.body.top[0].probability).toBe(Math.max(...res.body.probabilities));
    const form = new FormData();
    form.set("file", new Blob([png]), "x.png");
    const multi = await fetch(`${base}/api/runs/${created.body.id}/predict`, { method: "POST", body: form });
    expect((await multi.json()).probabilities).toEqual(res.body.probabilities);
    expect(
      (await api(base, "POST", `/api/runs/${created.body.id}/predict`, { image: "data:image/png;base64,AAAA" })).status,
    ).toBe(400);
    const lookup = await api(base, "POST", "/api/predict", {
      modelKind: "mlp",
      optimizer: "adam",
      dataset: "shapes",
      image,
    });
    expect(lookup.status).toBe(200);
    const candidates = await api(
      base,
      "GET",
      "/api/runs?status=succeeded&modelKind=mlp&dataset=shapes&sort=testAccuracy",
    );
    expect(lookup.body.runId).toBe(candidates.body.runs[0].id);
    expect(lookup.body.classes).toEqual(["circle", "square", "triangle"]);
    const none = await api(base, "POST", "/api/predict", { optimizer: "rmsprop", batchSize: 7, image });
    expect(none.status).toBe(404);
    expect(none.body.error).toBe("no model trained for this configuration yet");
    expect(none.body.trainUrl).toContain("optimizer=rmsprop");
  });
});

describe("configuration and token", () => {
  it("refuses a non-loopback HOST without a token and requires the token when set", async () => {
    expect(() => loadServerConfig({ HOST: "0.0.0.0" })).toThrow(ConfigError);
    expect(() => loadServerConfig({ MAX_CONCURRENT_JOBS: "zero" })).toThrow(/MAX_CONCURRENT_JOBS/);
    expect(loadServerConfig({}).host).toBe("127.0.0.1");
    const token = "a-very-long-test-token-123";
    const guarded = await startTestServer({ HOST: "0.0.0.0", LAYERLAB_TOKEN: token });
    try {
      expect(guarded.config.token).toBe(token);
      expect((await api(guarded.url, "GET", "/api/runs")).status).toBe(401);
      expect((await api(guarded.url, "GET", "/api/runs", undefined, { authorization: "Bearer wrong" })).status).toBe(
        401,
      );
      expect((await api(guarded.url, "GET", "/api/runs", undefined, { authorization: `Bearer ${token}` })).status).toBe(
        200,
      );
    } finally {
      await guarded.close();
    }
  });
});
