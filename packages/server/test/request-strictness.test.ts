import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "./helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const browserRun = async () => {
  const res = await api(server.url, "POST", "/api/runs", {
    template: "mlp",
    dataset: "shapes",
    executor: "browser",
    ifExists: "new",
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
};

/** POST with `Content-Type: application/json` and no body at all, as many HTTP clients send actions. */
const emptyJsonPost = (path: string) =>
  fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" } });

describe("requests are read strictly and named when wrong", () => {
  it("answers 400 naming an unknown PATCH field instead of ignoring it", async () => {
    const id = await browserRun();
    const res = await api(server.url, "PATCH", `/api/runs/${id}`, { status: "failed", name: "kept?" });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/unknown field "status" in the body/);
    const run = (await api(server.url, "GET", `/api/runs/${id}`)).body;
    expect(run.status).toBe("queued");
    expect(run.name).not.toBe("kept?");
    expect((await api(server.url, "PATCH", `/api/runs/${id}`, { name: "renamed" })).body.name).toBe("renamed");
  });

  it("accepts abort with Content-Type: application/json and an empty body", async () => {
    const id = await browserRun();
    const res = await emptyJsonPost(`/api/runs/${id}/abort`);
    expect(res.status, await res.clone().text()).toBe(202);
    expect(((await res.json()) as { status: string }).status).toBe("aborted");
  });

  it("reads an empty JSON body on resume and explain as no body (their answers are about the run, not the body)", async () => {
    const id = await browserRun();
    const resume = await emptyJsonPost(`/api/runs/${id}/resume`);
    expect(resume.status).not.toBe(400);
    expect(((await resume.json()) as { error: string }).error).not.toMatch(/body/i);
    const explain = await emptyJsonPost(`/api/runs/${id}/explain`);
    expect(explain.status).not.toBe(400);
    expect(((await explain.json()) as { error: string }).error).not.toMatch(/body/i);
  });

  it("still refuses malformed JSON with 400", async () => {
    const res = await fetch(`${server.url}/api/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
  });
});
