import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { DoctorFinding } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadServerConfig } from "../src/config";
import { api, SMALL_RUN, startTestServer, type TestServer, waitForStatus } from "./helpers";

/*
 * The doctor's LLM explanation through the server, against a real local HTTP
 * server speaking the OpenAI chat-completions shape (the external service).
 */

const finding: DoctorFinding = {
  id: "overfitting",
  severity: "warning",
  title: "Overfitting",
  evidence: "Validation loss rose from 0.3 to 0.5.",
  suggestion: "Add dropout 0.3 after dense #1.",
  fix: { op: "insertLayer", at: 2, layer: { kind: "dropout", rate: 0.3 } },
};

let llm: Server;
let llmUrl = "";
interface ChatRequest {
  model: string;
  messages: { content: string }[];
}
const received: { auth: string | undefined; body: ChatRequest }[] = [];

async function bodyOf(req: IncomingMessage): Promise<ChatRequest> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

let withLlm: TestServer;
let without: TestServer;
let broken: TestServer;

beforeAll(async () => {
  llm = createServer(async (req, res) => {
    received.push({ auth: req.headers.authorization, body: await bodyOf(req) });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ choices: [{ message: { role: "assistant", content: "The model memorises." } }] }));
  });
  await new Promise<void>((r) => llm.listen(0, "127.0.0.1", r));
  llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}`;
  withLlm = await startTestServer({ LAYERLAB_LLM_URL: llmUrl, LAYERLAB_LLM_MODEL: "tiny", LAYERLAB_LLM_KEY: "k-123" });
  without = await startTestServer();
  // A port nothing listens on: the endpoint is down.
  broken = await startTestServer({ LAYERLAB_LLM_URL: "http://127.0.0.1:9" });
});

afterAll(async () => {
  await Promise.all([withLlm?.close(), without?.close(), broken?.close()]);
  await new Promise((r) => llm.close(r));
});

describe("LLM explanation of the doctor's findings", () => {
  it("is off by default: health says so and explaining names the variable to set", async () => {
    expect((await api(without.url, "GET", "/api/health")).body.llm).toBe(false);
    const res = await api(without.url, "POST", "/api/explain", { findings: [finding] });
    expect(res.status).toBe(501);
    expect(res.body.error).toContain("LAYERLAB_LLM_URL");
  });

  it("explains the page's findings with the configured endpoint, model and key; the key stays on the server", async () => {
    const health = await api(withLlm.url, "GET", "/api/health");
    expect(health.body.llm).toBe(true);
    expect(JSON.stringify(health.body)).not.toContain("k-123");
    const res = await api(withLlm.url, "POST", "/api/explain", { findings: [finding] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ text: "The model memorises." });
    const last = received.at(-1)!;
    expect(last.auth).toBe("Bearer k-123");
    expect(last.body.model).toBe("tiny");
    const sent = JSON.parse(last.body.messages.at(-1)!.content);
    expect(sent).toEqual([
      {
        id: finding.id,
        severity: finding.severity,
        title: finding.title,
        evidence: finding.evidence,
        suggestion: finding.suggestion,
      },
    ]);
  });

  it("refuses malformed findings with a 400 and sends nothing to the endpoint", async () => {
    const before = received.length;
    for (const body of [{}, { findings: "x" }, { findings: [{ id: "a" }] }, { findings: Array(21).fill(finding) }]) {
      expect((await api(withLlm.url, "POST", "/api/explain", body)).status).toBe(400);
    }
    expect(received.length).toBe(before);
  });

  it("explains a server run's findings from its folder; unknown runs are 404", { timeout: 120_000 }, async () => {
    // A learning rate far too high: the doctor has something to say.
    const created = await api(withLlm.url, "POST", "/api/runs", {
      ...SMALL_RUN,
      config: { ...SMALL_RUN.config, learningRate: 5, optimizer: { name: "sgd" } },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await waitForStatus(withLlm.url, id, ["succeeded", "diverged", "failed"]);
    const res = await api(withLlm.url, "POST", `/api/runs/${id}/explain`);
    expect(res.status).toBe(200);
    expect(res.body.text).toBe("The model memorises.");
    const sent = JSON.parse(received.at(-1)!.body.messages.at(-1)!.content) as DoctorFinding[];
    expect(sent.length).toBeGreaterThan(0);
    for (const f of sent) expect(f).toMatchObject({ id: expect.any(String), evidence: expect.any(String) });
    // The report artifact carries the explanation under the findings.
    const report = await (await fetch(`${withLlm.url}/api/runs/${id}/artifacts/report.html`)).text();
    expect(report).toContain("The model memorises.");
    expect((await api(withLlm.url, "POST", "/api/runs/nope/explain")).status).toBe(404);
    // A damaged folder is named, not a bare internal error.
    writeFileSync(join(withLlm.dataDir, "runs", id, "metrics.json"), "{ cut short");
    const damaged = await api(withLlm.url, "POST", `/api/runs/${id}/explain`);
    expect(damaged.status).toBe(409);
    expect(damaged.body.error).toContain(`run ${id}'s folder/metrics.json is not valid JSON`);
    expect(damaged.body.error).not.toContain(withLlm.dataDir);
  });

  it("answers 502 in words when the endpoint is down, and keeps serving", async () => {
    const res = await api(broken.url, "POST", "/api/explain", { findings: [finding] });
    expect(res.status).toBe(502);
    expect(res.body.error).toMatch(/could not be reached.*LAYERLAB_LLM_URL/);
    expect((await api(broken.url, "GET", "/api/health")).body.ok).toBe(true);
  });

  it("refuses to start with a LAYERLAB_LLM_URL that is no http(s) URL", () => {
    expect(() => loadServerConfig({ LAYERLAB_LLM_URL: "ftp://x" })).toThrow(ConfigError);
    expect(() => loadServerConfig({ LAYERLAB_LLM_URL: "not a url" })).toThrow(/LAYERLAB_LLM_URL/);
    expect(loadServerConfig({}).llm).toBeNull();
  });
});
