import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStudio, trainWithTooHighLearningRate } from "./harness";

/*
 * The doctor's optional LLM explanation in the studio, with the LayerLab
 * server started against a real local HTTP server that speaks the
 * OpenAI chat-completions shape (standing in for the external service).
 */

let llm: Server;
let llmUrl = "";
const asked: { findings: { id: string; evidence: string }[]; auth: string | undefined }[] = [];

async function bodyOf(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

beforeAll(async () => {
  llm = createServer(async (req, res) => {
    const body = await bodyOf(req);
    asked.push({ findings: JSON.parse(body.messages.at(-1).content), auth: req.headers.authorization });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ choices: [{ message: { role: "assistant", content: "Lower the learning rate first." } }] }),
    );
  });
  await new Promise<void>((r) => llm.listen(0, "127.0.0.1", r));
  llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => llm.close(r)));

const studio = serveStudio("llm", {
  server: true,
  serverEnv: () => ({ LAYERLAB_LLM_URL: llmUrl, LAYERLAB_LLM_KEY: "secret-key" }),
});

describe("the doctor's AI explanation", () => {
  it("explains a run's findings in plain words through the server, which keeps the key", {
    timeout: 200_000,
  }, async () => {
    const { page } = studio;
    await page.goto(`${studio.url}/#/build`);
    await trainWithTooHighLearningRate(page);
    const findings = await page
      .locator("[data-testid=doctor] li.finding")
      .evaluateAll((items) => items.map((li) => li.getAttribute("data-testid")!.replace(/^finding-/, "")));
    expect(findings.length).toBeGreaterThan(0);
    await page.click("[data-testid=llm-explanation] button");
    await expect
      .poll(() => page.textContent("[data-testid=llm-text]"), { timeout: 30_000 })
      .toBe("Lower the learning rate first.");
    // The endpoint got exactly the findings on screen, with the key the server holds; the page never had it.
    expect(asked.at(-1)!.findings.map((f) => f.id)).toEqual(findings);
    expect(asked.at(-1)!.auth).toBe("Bearer secret-key");
    expect(await page.content()).not.toContain("secret-key");
    expect(studio.errors).toEqual([]);
  });
});
