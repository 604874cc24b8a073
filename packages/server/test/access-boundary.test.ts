import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "./helpers";
import { httpText, rawRequest, WEBSOCKET_UPGRADE } from "./raw-http";

const TOKEN = "boundary-test-token-0123456789abcdef";
const BROWSER_RUN = { template: "mlp", dataset: "shapes", executor: "browser", config: { epochs: 1 } } as const;

describe("the access token guards every route the router matches, however the URL is spelled", () => {
  let server: TestServer;
  let host: string;
  let runId: string;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    server = await startTestServer({ HOST: "0.0.0.0", LAYERLAB_TOKEN: TOKEN });
    host = new URL(server.url).host;
    const created = await api(server.url, "POST", "/api/runs", BROWSER_RUN, auth);
    expect(created.status).toBe(201);
    runId = created.body.id;
  });
  afterAll(async () => {
    await server?.close();
  });

  const get = (target: string, extra: string[] = []) => httpText([`GET ${target} HTTP/1.1`, `Host: ${host}`, ...extra]);

  /** Requests that must not reach a handler without the right token: [what it tries, raw request]. */
  const attempts = (): [string, () => string][] => [
    ["percent-encoded a", () => get("/%61pi/runs")],
    ["percent-encoded r", () => get("/api/%72uns")],
    ["upper-case percent escape", () => get("/%41pi/runs")],
    ["upper-case path", () => get("/API/runs")],
    ["double slash before", () => get("//api/runs")],
    ["double slash inside", () => get("/api//runs")],
    ["dot segment", () => get("/./api/runs")],
    ["dot-dot segment", () => get("/x/../api/runs")],
    ["encoded dot-dot", () => get("/x/%2e%2e/api/runs")],
    ["semicolon suffix", () => get("/api/runs;x=1")],
    ["NUL suffix", () => get("/api/runs%00")],
    ["trailing slash", () => get("/api/runs/")],
    ["absolute-form target", () => get(`http://${host}/api/runs`)],
    ["absolute-form, encoded", () => get(`http://${host}/%61pi/runs`)],
    ["wrong ?access_token=", () => get("/api/runs?access_token=wrong-token-wrong-token-wrong")],
    ["empty ?access_token=", () => get("/api/runs?access_token=")],
    [
      "Basic scheme with the token",
      () => get("/api/runs", [`Authorization: Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}`]),
    ],
    ["bare token without scheme", () => get("/api/runs", [`Authorization: ${TOKEN}`])],
    ["wrong Bearer token", () => get("/api/runs", ["Authorization: Bearer wrong"])],
    ["token prefix only", () => get("/api/runs", [`Authorization: Bearer ${TOKEN.slice(0, -1)}`])],
    ["dataset download, encoded", () => get("/%61pi/datasets/shapes/data")],
    ["run detail, encoded", () => get(`/%61pi/runs/${runId}`)],
    ["event stream, encoded", () => get(`/%61pi/runs/${runId}/events`)],
    ["WebSocket upgrade, encoded", () => get(`/%61pi/runs/${runId}/ws`, WEBSOCKET_UPGRADE)],
    ["WebSocket upgrade, wrong token", () => get(`/api/runs/${runId}/ws?access_token=nope`, WEBSOCKET_UPGRADE)],
    ["DELETE, encoded", () => httpText([`DELETE /%61pi/runs/${runId} HTTP/1.1`, `Host: ${host}`])],
    [
      "POST a run, encoded",
      () =>
        httpText(
          ["POST /%61pi/runs HTTP/1.1", `Host: ${host}`, "Content-Type: application/json"],
          JSON.stringify({ ...BROWSER_RUN, ifExists: "new" }),
        ),
    ],
    [
      "PATCH, absolute form",
      () =>
        httpText(
          [`PATCH http://${host}/api/runs/${runId} HTTP/1.1`, `Host: ${host}`, "Content-Type: application/json"],
          '{"name":"x"}',
        ),
    ],
  ];

  it("answers 401, 403 or 404 to each of the corpus's spellings without the right token", async () => {
    const corpus = attempts();
    expect(corpus.length).toBeGreaterThanOrEqual(15);
    for (const [what, request] of corpus) {
      const res = await rawRequest(server.url, request());
      expect([401, 403, 404], `${what}: ${res.head.split("\r\n")[0]} ${res.body.slice(0, 200)}`).toContain(res.status);
    }
    // Nothing the corpus tried took effect: the run is still there, unrenamed, and it is the only one.
    const list = await api(server.url, "GET", "/api/runs", undefined, auth);
    expect(list.status).toBe(200);
    expect(list.body.runs.map((r: { id: string }) => r.id)).toEqual([runId]);
    expect(list.body.runs[0].name).not.toBe("x");
  });

  it("lets the right token through on the canonical paths, by header and by ?access_token=", async () => {
    expect((await api(server.url, "GET", "/api/runs", undefined, auth)).status).toBe(200);
    expect((await api(server.url, "GET", `/api/runs?access_token=${TOKEN}`)).status).toBe(200);
    expect((await api(server.url, "GET", `/api/runs/${runId}`, undefined, auth)).status).toBe(200);
    const upgrade = await rawRequest(server.url, get(`/api/runs/${runId}/ws?access_token=${TOKEN}`, WEBSOCKET_UPGRADE));
    expect(upgrade.status).toBe(101);
    // The same percent-encoded spelling the corpus tried routes to the real handler once the token is right.
    expect((await rawRequest(server.url, get("/%61pi/runs", [`Authorization: Bearer ${TOKEN}`]))).status).toBe(200);
  });

  it("keeps the health check and the API description public", async () => {
    expect((await api(server.url, "GET", "/api/health")).status).toBe(200);
    expect((await api(server.url, "GET", "/api/docs")).status).toBe(200);
  });
});

describe("a loopback server refuses cross-site requests and foreign Host headers", () => {
  let server: TestServer;
  let host: string;

  beforeAll(async () => {
    server = await startTestServer({
      ALLOWED_HOSTS: "studio.example.org",
      ALLOWED_ORIGINS: "https://studio.example.org",
    });
    host = new URL(server.url).host;
  });
  afterAll(async () => {
    await server?.close();
  });

  const newBrowserRun = async () => {
    const res = await api(server.url, "POST", "/api/runs", { ...BROWSER_RUN, ifExists: "new" });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const status = async (id: string) => (await api(server.url, "GET", `/api/runs/${id}`)).body.status as string;
  const post = (path: string, headers: string[], body = "") =>
    httpText([`POST ${path} HTTP/1.1`, `Host: ${host}`, ...headers], body);

  it("refuses a simple cross-site POST (text/plain, evil Origin) to abort, and the run keeps going", async () => {
    const id = await newBrowserRun();
    const res = await rawRequest(
      server.url,
      post(`/api/runs/${id}/abort`, ["Origin: http://evil.example", "Content-Type: text/plain"], "x"),
    );
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/cross-site request refused.*ALLOWED_ORIGINS/);
    expect(await status(id)).toBe("queued");
  });

  it("refuses cross-site resume, PATCH, DELETE and a multipart dataset upload", async () => {
    const id = await newBrowserRun();
    const evil = ["Origin: http://evil.example"];
    expect((await rawRequest(server.url, post(`/api/runs/${id}/resume`, evil))).status).toBe(403);
    const patch = httpText(
      [`PATCH /api/runs/${id} HTTP/1.1`, `Host: ${host}`, ...evil, "Content-Type: application/json"],
      '{"name":"pwned"}',
    );
    expect((await rawRequest(server.url, patch)).status).toBe(403);
    expect(
      (await rawRequest(server.url, httpText([`DELETE /api/runs/${id} HTTP/1.1`, `Host: ${host}`, ...evil]))).status,
    ).toBe(403);
    const boundary = "----x";
    const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\nContent-Type: application/zip\r\n\r\nPK\r\n--${boundary}--\r\n`;
    const upload = await rawRequest(
      server.url,
      post("/api/datasets", [...evil, `Content-Type: multipart/form-data; boundary=${boundary}`], multipart),
    );
    expect(upload.status).toBe(403);
    const run = (await api(server.url, "GET", `/api/runs/${id}`)).body;
    expect(run.name).not.toBe("pwned");
    expect((await api(server.url, "GET", "/api/datasets")).body.imported).toEqual([]);
  });

  it("refuses a cross-site request that has no Origin but says Sec-Fetch-Site: cross-site, and a cross-site WebSocket", async () => {
    const id = await newBrowserRun();
    const res = await rawRequest(server.url, post(`/api/runs/${id}/abort`, ["Sec-Fetch-Site: cross-site"]));
    expect(res.status).toBe(403);
    const ws = await rawRequest(
      server.url,
      httpText([
        `GET /api/runs/${id}/ws HTTP/1.1`,
        `Host: ${host}`,
        "Origin: http://evil.example",
        ...WEBSOCKET_UPGRADE,
      ]),
    );
    expect(ws.status).toBe(403);
    expect(await status(id)).toBe("queued");
  });

  it("answers 421 in words to a Host that is not ours (DNS rebinding), even for reads", async () => {
    const res = await rawRequest(server.url, httpText(["GET /api/runs HTTP/1.1", "Host: rebind.evil.example:3000"]));
    expect(res.status).toBe(421);
    expect(JSON.parse(res.body).error).toMatch(/does not answer to Host "rebind\.evil\.example:3000".*ALLOWED_HOSTS/);
    // HTTP/1.1 without a Host at all is malformed: Node answers 400 before any route.
    expect((await rawRequest(server.url, httpText(["GET /api/runs HTTP/1.1"]))).status).toBe(400);
  });

  it("accepts its own origin, localhost, and what ALLOWED_HOSTS / ALLOWED_ORIGINS list", async () => {
    const id = await newBrowserRun();
    const own = await rawRequest(
      server.url,
      post(`/api/runs/${id}/abort`, [`Origin: http://${host}`, "Content-Type: application/json"]),
    );
    expect(own.status, own.body).toBe(202);
    expect(await status(id)).toBe("aborted");
    const port = new URL(server.url).port;
    for (const name of [`localhost:${port}`, `[::1]:${port}`, "studio.example.org"]) {
      const res = await rawRequest(server.url, httpText(["GET /api/runs HTTP/1.1", `Host: ${name}`]));
      expect(res.status, name).toBe(200);
    }
    const listed = await newBrowserRun();
    const fromListed = await rawRequest(
      server.url,
      httpText(
        [`POST /api/runs/${listed}/abort HTTP/1.1`, "Host: studio.example.org", "Origin: https://studio.example.org"],
        "",
      ),
    );
    expect(fromListed.status, fromListed.body).toBe(202);
  });
});
