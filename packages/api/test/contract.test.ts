import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "../../server/test/helpers";
import {
  API_DOCS_PAGE,
  DatasetList,
  DuplicateRunBody,
  ErrorBody,
  EventBatchAccepted,
  Health,
  RunDetail,
  RunPage,
  RunView,
  TRAIN_EVENT_TYPES,
} from "../src";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

interface OpenApiOperation {
  summary?: string;
  description?: string;
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

/** Every route of the API: method, OpenAPI path, and what its operation must declare. */
const ROUTES: { method: string; path: string; body?: boolean; response?: string; params?: string[] }[] = [
  { method: "get", path: "/api/health", response: "200" },
  { method: "post", path: "/api/runs", body: true, response: "201" },
  { method: "post", path: "/api/runs/import" },
  { method: "get", path: "/api/runs", response: "200", params: ["status", "sort", "limit", "offset"] },
  { method: "get", path: "/api/runs/{id}", response: "200", params: ["id"] },
  { method: "patch", path: "/api/runs/{id}", body: true, response: "200", params: ["id"] },
  { method: "delete", path: "/api/runs/{id}", params: ["id"] },
  { method: "post", path: "/api/runs/{id}/abort", response: "202", params: ["id"] },
  { method: "post", path: "/api/runs/{id}/resume", response: "202", params: ["id"] },
  { method: "post", path: "/api/runs/{id}/interrupt", response: "202", params: ["id"] },
  { method: "get", path: "/api/runs/{id}/events", response: "200", params: ["id", "after", "mode"] },
  { method: "post", path: "/api/runs/{id}/events", body: true, response: "202", params: ["id"] },
  { method: "get", path: "/api/runs/{id}/ws", params: ["id", "after"] },
  { method: "get", path: "/api/datasets", response: "200" },
  { method: "post", path: "/api/datasets", response: "201" },
  { method: "get", path: "/api/datasets/{id}/data", params: ["id", "split"] },
  { method: "delete", path: "/api/datasets/{id}", params: ["id"] },
  { method: "get", path: "/api/runs/{id}/artifacts/{name}", params: ["id", "name"] },
  { method: "put", path: "/api/runs/{id}/artifacts/{name}", response: "201", params: ["id", "name"] },
  { method: "post", path: "/api/runs/{id}/predict", body: true, response: "200", params: ["id"] },
  { method: "post", path: "/api/predict", body: true, response: "200" },
  { method: "get", path: "/api/runs/{id}/test-predictions", response: "200", params: ["id"] },
  { method: "get", path: "/api/runs/{id}/epochs", response: "200", params: ["id"] },
  { method: "get", path: "/api/runs/{id}/epochs/{epoch}", response: "200", params: ["id", "epoch"] },
  { method: "get", path: "/api/runs/{id}/epochs/{epoch}/weights", params: ["id", "epoch"] },
  { method: "post", path: "/api/explain", body: true, response: "200" },
  { method: "post", path: "/api/runs/{id}/explain", response: "200", params: ["id"] },
  { method: "post", path: "/api/workers/heartbeat", body: true, response: "200" },
  { method: "post", path: "/api/workers/claim", body: true, response: "200" },
  { method: "post", path: "/api/sweeps", body: true, response: "201" },
  { method: "get", path: "/api/sweeps", response: "200" },
  { method: "get", path: "/api/sweeps/{id}", response: "200", params: ["id"] },
  { method: "post", path: "/api/sweeps/{id}/abort", response: "202", params: ["id"] },
  { method: "delete", path: "/api/sweeps/{id}", params: ["id"] },
  { method: "get", path: "/api/sweeps/{id}/report", params: ["id"] },
];

describe("the OpenAPI document is written from the contract", () => {
  it("lists every route with its parameters, request body and response schemas", async () => {
    const { status, body } = await api(server.url, "GET", "/api/docs");
    expect(status).toBe(200);
    const paths = body.paths as Record<string, Record<string, OpenApiOperation>>;
    for (const route of ROUTES) {
      const op = paths[route.path]?.[route.method];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op!.summary, `${route.method} ${route.path} has a summary`).toBeTruthy();
      const params = (op!.parameters ?? []).map((p) => p.name);
      for (const name of route.params ?? []) expect(params, `${route.method} ${route.path}`).toContain(name);
      if (route.body) {
        expect(op!.requestBody?.content["application/json"]?.schema, `${route.method} ${route.path} body`).toBeTruthy();
      }
      if (route.response) {
        const answer = op!.responses?.[route.response];
        expect(answer?.content, `${route.method} ${route.path} answers ${route.response}`).toBeDefined();
      }
    }
    const documented = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it("describes the run schema field by field, the PATCH body as closed, and the event stream and WebSocket in words", async () => {
    const { body } = await api(server.url, "GET", "/api/docs");
    const paths = body.paths;
    const run = paths["/api/runs/{id}"].get.responses["200"].content["application/json"].schema;
    expect(Object.keys(run.properties)).toEqual(expect.arrayContaining(["status", "metrics", "spec", "epochMetrics"]));
    expect(run.properties.status.enum).toContain("interrupted");
    const patch = paths["/api/runs/{id}"].patch.requestBody.content["application/json"].schema;
    expect(patch.additionalProperties).toBe(false);
    const sse = paths["/api/runs/{id}/events"].get;
    for (const type of TRAIN_EVENT_TYPES) expect(sse.description).toContain(type);
    expect(sse.responses["200"].content["text/event-stream"]).toBeDefined();
    const ws = paths["/api/runs/{id}/ws"].get;
    expect(ws.description).toMatch(/\{"type":"abort"\}/);
    expect(JSON.stringify(ws["x-server-messages"])).toContain("gradients");
  });

  it("serves a browsable page of the document, public and cross-origin isolated like the rest", async () => {
    const secured = await startTestServer({ LAYERLAB_TOKEN: "a-long-enough-secret-token-for-tests" });
    try {
      const page = await fetch(`${secured.url}${API_DOCS_PAGE}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/text\/html/);
      expect(page.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
      expect(await page.text()).toMatch(/swagger/i);
      const doc = await fetch(`${secured.url}${API_DOCS_PAGE}/json`);
      expect(doc.status).toBe(200);
      expect(((await doc.json()) as { paths: object }).paths).toHaveProperty(["/api/runs"]);
      expect((await fetch(`${secured.url}/api/runs`)).status).toBe(401);
    } finally {
      await secured.close();
    }
  });
});

describe("a real server's answers parse with the contract", () => {
  it("health, datasets, create, duplicate, list, get, patch and abort", async () => {
    Health.parse((await api(server.url, "GET", "/api/health")).body);
    const datasets = DatasetList.parse((await api(server.url, "GET", "/api/datasets")).body);
    expect(datasets.builtin.map((d) => d.id)).toContain("shapes");

    const request = { template: "mlp", dataset: "shapes", executor: "browser", tags: ["contract"] };
    const created = await api(server.url, "POST", "/api/runs", request);
    expect(created.status).toBe(201);
    const run = RunView.parse(created.body);
    expect(run.spec.layers.length).toBeGreaterThan(0);

    const duplicate = await api(server.url, "POST", "/api/runs", request);
    expect(duplicate.status).toBe(409);
    expect(DuplicateRunBody.parse(duplicate.body).run.id).toBe(run.id);

    const page = RunPage.parse((await api(server.url, "GET", "/api/runs?tag=contract&limit=5")).body);
    expect(page.runs.map((r) => r.id)).toEqual([run.id]);
    expect(page.total).toBe(1);
    expect(page.runs[0]).not.toHaveProperty("spec");

    const detail = RunDetail.parse((await api(server.url, "GET", `/api/runs/${run.id}`)).body);
    expect(detail.epochMetrics).toEqual([]);

    const patched = await api(server.url, "PATCH", `/api/runs/${run.id}`, { notes: "from the contract test" });
    expect(RunView.parse(patched.body).notes).toBe("from the contract test");
    const refused = await api(server.url, "PATCH", `/api/runs/${run.id}`, { status: "failed" });
    expect(refused.status).toBe(400);
    expect(ErrorBody.parse(refused.body).error).toMatch(/unknown field "status" in the body; remove it/);
    const badQuery = await api(server.url, "GET", "/api/runs?limit=0");
    expect(badQuery.status).toBe(400);
    expect(ErrorBody.parse(badQuery.body).error).toMatch(/querystring field limit: /);

    const aborted = await api(server.url, "POST", `/api/runs/${run.id}/abort`);
    expect(aborted.status).toBe(202);
    expect(RunView.parse(aborted.body).status).toBe("aborted");
  });
});

describe("posted events continue the run's sequence", () => {
  const log = (seq: number, message: string) => ({ seq, time: Date.now(), type: "log", level: "warn", message });

  it("refuses a seq far past the run's last one in words, and later events still count", async () => {
    const created = await api(server.url, "POST", "/api/runs", {
      template: "mlp",
      dataset: "shapes",
      executor: "browser",
      ifExists: "new",
    });
    const id = RunView.parse(created.body).id;
    const first = await api(server.url, "POST", `/api/runs/${id}/events`, { events: [log(0, "first")] });
    expect(first.status).toBe(202);
    expect(EventBatchAccepted.parse(first.body)).toEqual({ accepted: 1, lastSeq: 0 });

    const far = await api(server.url, "POST", `/api/runs/${id}/events`, {
      events: [log(Number.MAX_SAFE_INTEGER, "a warning numbered out of reach")],
    });
    expect(far.status).toBe(400);
    expect(ErrorBody.parse(far.body).error).toMatch(
      /^events\[0\]\.seq is 9007199254740991, but this run's last stored seq is 0 .* may reach 1 at most; number events on from 1; nothing of this batch was stored$/,
    );
    const twice = await api(server.url, "POST", `/api/runs/${id}/events`, { events: [log(1, "a"), log(1, "b")] });
    expect(twice.status).toBe(400);
    expect(twice.body.error).toMatch(/events\[1\]\.seq 1 appears twice/);

    // A retry of seq 0 with one new event, and a gap the batch's size allows.
    const next = await api(server.url, "POST", `/api/runs/${id}/events`, {
      events: [log(0, "first"), log(2, "second"), log(1, "between")],
    });
    expect(next.status).toBe(202);
    expect(EventBatchAccepted.parse(next.body)).toEqual({ accepted: 2, lastSeq: 2 });
    const history = await fetch(`${server.url}/api/runs/${id}/events?mode=history`);
    const seqs = [...(await history.text()).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(seqs).toEqual([0, 1, 2]);
  });
});
