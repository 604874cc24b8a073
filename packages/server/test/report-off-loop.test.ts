import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { renderReport } from "@layerlab/report";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeReportOffThread } from "../src/reports/render-off-thread";
import { runDir } from "../src/runs/run-files";
import { api, startTestServer, type TestServer, waitForStatus } from "./helpers";

let server: TestServer;
let runId: string;
beforeAll(async () => {
  server = await startTestServer();
  // A small CNN: its report runs convolutions on the example images, the costly part of rendering. Two
  // batches of training are enough: the report's examples come from the test split, whatever was trained.
  const created = await api(server.url, "POST", "/api/runs", {
    template: "cnn",
    dataset: "shapes",
    executor: "server",
    limit: 64,
    config: { epochs: 1, batchSize: 32 },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  runId = created.body.id;
  expect((await waitForStatus(server.url, runId, ["succeeded", "failed", "error"])).status).toBe("succeeded");
}, 180_000);
afterAll(async () => {
  await server?.close();
});

/** Runs `work` while a 5 ms ticker runs on this thread; returns the longest gap between ticks and their count. */
async function whileTicking<T>(work: () => Promise<T>): Promise<{ result: T; longestGapMs: number; ticks: number }> {
  let last = performance.now();
  let longestGapMs = 0;
  let ticks = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
    ticks += 1;
  }, 5);
  try {
    const result = await work();
    longestGapMs = Math.max(longestGapMs, performance.now() - last);
    return { result, longestGapMs, ticks };
  } finally {
    clearInterval(ticker);
  }
}

describe("report.html", () => {
  it("is rendered off the event loop: the server's loop keeps ticking while the report is built", async () => {
    const dir = runDir(server.dataDir, runId);
    // What rendering on this thread costs the loop: the longest stretch it is held.
    const inThread = await whileTicking(() => renderReport(dir, { dataDir: server.dataDir }));
    expect(inThread.result).toContain('<section id="examples">');

    rmSync(join(dir, "report.html"), { force: true });
    const start = performance.now();
    const served = await whileTicking(async () => {
      const res = await fetch(`${server.url}/api/runs/${runId}/artifacts/report.html`);
      return { status: res.status, html: await res.text() };
    });
    const requestMs = performance.now() - start;
    expect(served.result.status, served.result.html).toBe(200);
    expect(served.result.html).toContain('<section id="examples">');
    // The worker measured each layer's cost as it first made this report, and the report shows it.
    expect(served.result.html).toContain("Measured on <b>wasm</b> on the machine that first made this report");
    expect(existsSync(join(dir, "report.html"))).toBe(true);
    console.info(
      `report render: in-thread longest loop gap ${inThread.longestGapMs.toFixed(0)} ms; served off-thread in ${requestMs.toFixed(0)} ms with longest loop gap ${served.longestGapMs.toFixed(0)} ms over ${served.ticks} ticks`,
    );
    // The loop was never held for long: far less than rendering here holds it, and it ticked all along.
    expect(served.longestGapMs).toBeLessThan(inThread.longestGapMs / 3);
    expect(served.ticks).toBeGreaterThan(requestMs / 5 / 4);
  });

  it("rejects with the renderer's error for a folder it cannot report, and renders a folder once at a time", async () => {
    const dir = runDir(server.dataDir, runId);
    const missing = writeReportOffThread(join(server.dataDir, "runs", "no-such-run"), { dataDir: server.dataDir });
    const first = writeReportOffThread(dir, { dataDir: server.dataDir });
    expect(writeReportOffThread(dir, { dataDir: server.dataDir })).toBe(first);
    await expect(missing).rejects.toThrow(/no-such-run/);
    expect(await first).toBe(join(dir, "report.html"));
  });
});
