import { MAX_SPEC_JSON_BYTES, MAX_SPEC_LAYERS } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREATE_RUN_BODY_LIMIT } from "../src/routes/runs";
import { api, startTestServer, type TestServer } from "./helpers";

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(async () => {
  await server?.close();
});

const SHAPES_CLASSES = ["circle", "square", "triangle"];

/** A create request for a browser run of an MLP on shapes with `hidden` dense layers before the output. */
function deepMlp(hidden: number, extra: Record<string, unknown> = {}) {
  const layers = [
    { kind: "flatten" },
    ...Array.from({ length: hidden }, () => ({ kind: "dense", units: 4 })),
    { kind: "dense", units: 3 },
  ];
  return {
    dataset: "shapes",
    executor: "browser",
    spec: { input: { shape: [1, 28, 28] }, layers, classes: SHAPES_CLASSES },
    ...extra,
  };
}

/** Milliseconds `/api/health` takes to answer. */
async function healthLatency(): Promise<number> {
  const start = performance.now();
  const res = await api(base, "GET", "/api/health");
  expect(res.status).toBe(200);
  return performance.now() - start;
}

describe("spec and body size limits", () => {
  it("refuses an 800,000-layer spec quickly, in words, while health stays responsive", async () => {
    // Built as text: 800k layers are ~22 MB of JSON, the size that used to take the server 14 s and 1 GB.
    const layer = '{"kind":"dense","units":10},';
    const text = `{"dataset":"shapes","executor":"browser","spec":{"input":{"shape":[1,28,28]},"classes":["circle","square","triangle"],"layers":[${layer.repeat(800_000)}{"kind":"dense","units":3}]}}`;
    expect(text.length).toBeGreaterThan(20_000_000);
    const started = performance.now();
    const huge = fetch(`${base}/api/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: text,
    });
    const latencies = await Promise.all([healthLatency(), healthLatency(), healthLatency()]);
    const res = await huge;
    const elapsed = performance.now() - started;
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: string };
    expect(body.error).toContain("1 MB");
    expect(body.error).toContain("remove layers");
    expect(elapsed).toBeLessThan(3000);
    for (const ms of latencies) expect(ms).toBeLessThan(1000);
    expect(await healthLatency()).toBeLessThan(1000);
    expect((await api(base, "GET", "/api/runs")).body.runs).toHaveLength(0);
  });

  it("refuses a body without a length that runs past the limit", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Whitespace is valid JSON padding; the body is cut off by the limit long before it ends.
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"dataset":"shapes","executor":"browser"'));
        if (sent > CREATE_RUN_BODY_LIMIT * 4) {
          controller.enqueue(new TextEncoder().encode("}"));
          controller.close();
          return;
        }
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${base}/api/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it("refuses one layer over the cap with 413 naming the count and the limit", async () => {
    const over = await api(base, "POST", "/api/runs", deepMlp(MAX_SPEC_LAYERS - 1));
    expect(over.status).toBe(413);
    expect(over.body.error).toContain(`${MAX_SPEC_LAYERS + 1} layers`);
    expect(over.body.error).toContain(`at most ${MAX_SPEC_LAYERS}`);
    const atCap = await api(base, "POST", "/api/runs", deepMlp(MAX_SPEC_LAYERS - 2));
    expect(atCap.status).toBe(201);
    expect(atCap.body.spec.layers).toHaveLength(MAX_SPEC_LAYERS);
  });

  it("refuses a spec whose JSON is over its byte limit even with few layers", async () => {
    const long = "x".repeat(MAX_SPEC_JSON_BYTES);
    const req = deepMlp(1);
    const res = await api(base, "POST", "/api/runs", {
      ...req,
      spec: { ...req.spec, classes: [long, "square", "triangle"] },
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toContain("256 KB");
  });
});

describe("run list", () => {
  it("lists summaries without spec or config; the run itself has both", async () => {
    const made = await api(base, "POST", "/api/runs", {
      template: "mlp",
      dataset: "shapes",
      executor: "browser",
      config: { epochs: 3, batchSize: 16, learningRate: 0.002, optimizer: { name: "sgd" } },
    });
    expect(made.status).toBe(201);
    const { body } = await api(base, "GET", "/api/runs?limit=1000");
    const item = (body.runs as { id: string }[]).find((r) => r.id === made.body.id);
    expect(item).toBeDefined();
    expect(item).not.toHaveProperty("spec");
    expect(item).not.toHaveProperty("config");
    // The columns the runs table and the registry picker read are all there.
    expect(item).toMatchObject({
      name: made.body.name,
      modelKind: "mlp",
      optimizer: "sgd",
      batchSize: 16,
      epochs: 3,
      learningRate: 0.002,
      hiddenUnits: made.body.hiddenUnits,
      dataset: "shapes",
      status: "queued",
    });
    const one = await api(base, "GET", `/api/runs/${made.body.id}`);
    expect(one.body.spec.layers.length).toBeGreaterThan(0);
    expect(one.body.config.batchSize).toBe(16);
    // Each list item is a few hundred bytes, whatever the size of its spec.
    expect(JSON.stringify(item).length).toBeLessThan(2000);
  });
});
