import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DoctorFinding } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explainWithLlm } from "../src";

const findings: DoctorFinding[] = [
  {
    id: "overfitting",
    severity: "warning",
    title: "Overfitting",
    evidence: "Validation loss rose from 0.3 to 0.5.",
    suggestion: "Add dropout 0.3 after dense #1.",
    fix: { op: "insertLayer", at: 2, layer: { kind: "dropout", rate: 0.3 } },
  },
];

let server: Server;
let base = "";
const seen: { url: string; auth: string | undefined; body: unknown }[] = [];
let status = 200;

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    seen.push({ url: req.url ?? "", auth: req.headers.authorization, body });
    res.writeHead(status, { "content-type": "application/json" });
    res.end(
      status === 200
        ? JSON.stringify({ choices: [{ message: { role: "assistant", content: "  Your model memorises.  " } }] })
        : JSON.stringify({ error: "bad key" }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("explainWithLlm", () => {
  it("is off unless LAYERLAB_LLM_URL is set: no request at all", async () => {
    expect(await explainWithLlm(findings, {})).toBeNull();
    expect(seen).toEqual([]);
  });

  it("posts the findings to /v1/chat/completions with the key and model, and returns the reply", async () => {
    const text = await explainWithLlm(findings, {
      LAYERLAB_LLM_URL: `${base}/v1/`,
      LAYERLAB_LLM_KEY: "sk-test",
      LAYERLAB_LLM_MODEL: "tiny",
    });
    expect(text).toBe("Your model memorises.");
    const [req] = seen;
    expect(req?.url).toBe("/v1/chat/completions");
    expect(req?.auth).toBe("Bearer sk-test");
    const body = req?.body as { model: string; messages: { role: string; content: string }[] };
    expect(body.model).toBe("tiny");
    expect(body.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(JSON.parse(body.messages[1]!.content)).toEqual([
      {
        id: "overfitting",
        severity: "warning",
        title: "Overfitting",
        evidence: "Validation loss rose from 0.3 to 0.5.",
        suggestion: "Add dropout 0.3 after dense #1.",
      },
    ]);
  });

  it("turns an HTTP error into a message naming the endpoint and the fix", async () => {
    status = 401;
    await expect(explainWithLlm(findings, { LAYERLAB_LLM_URL: base })).rejects.toThrow(
      /answered 401: \{"error":"bad key"\} — check LAYERLAB_LLM_KEY/,
    );
    status = 200;
  });
});
