import { mkdirSync } from "node:fs";
import { RunView, WorkerClaim } from "@layerlab/api";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresCluster, startPostgresCluster } from "../../server/test/postgres/cluster";
import { openPage, serveStudio } from "./harness";

/*
 * The Runs page of a server whose registry is in PostgreSQL and whose runs
 * are trained by `layerlab worker`s: the queue, each worker with its busy
 * slots and last heartbeat, which worker holds a run, and a waiting run's
 * place. The worker here is this test speaking the workers' HTTP API (the
 * real `layerlab worker` is tested in packages/cli/test/worker-scale-out).
 */

const SHOTS_DIR = process.env.LAYERLAB_SHOTS_DIR ?? "/tmp/shots";
let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 60_000);
afterAll(() => cluster?.stop());

const studio = serveStudio("workers", {
  server: true,
  // Only workers train (none of this test's runs starts on the server), and none is given up on during the test.
  serverEnv: () => ({ DATABASE_URL: cluster.adminUrl, MAX_CONCURRENT_JOBS: "0", WORKER_LEASE_S: "600" }),
});
let page: Page;
let url: string;
beforeAll(() => {
  ({ page, url } = studio);
});

async function post(path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status, `${path} answered ${res.status}`).toBeLessThan(300);
  return res.json();
}

describe("the Runs page with workers", () => {
  it("shows the queue, each worker's busy slots and last heartbeat, who trains a run, and a waiting run's place", async () => {
    const run = { template: "mlp", dataset: "shapes", executor: "server", limit: 64, config: { epochs: 1 } };
    const first = RunView.parse(await post("/api/runs", { ...run, name: "held by a worker" }));
    const second = RunView.parse(await post("/api/runs", { ...run, name: "waiting its turn", ifExists: "new" }));
    // Behind the first, which nothing has claimed yet; once a worker holds the first, it is next.
    expect(second.queuePosition).toBe(2);
    await post("/api/workers/heartbeat", { name: "lab-pc-1", slots: 2, leases: [] });
    const claim = WorkerClaim.parse(await post("/api/workers/claim", { name: "lab-pc-1" }));
    expect(claim.runId).toBe(first.id);
    await post("/api/workers/heartbeat", { name: "lab-pc-1", slots: 2, leases: [claim.lease] });

    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${url}/#/runs`);
    const strip = page.getByRole("region", { name: "Server queue and workers" });
    await expect.poll(() => strip.textContent(), { timeout: 20_000 }).toContain("1 waiting · 1 training");
    await expect.poll(() => strip.textContent()).toMatch(/lab-pc-1 · 1 of 2 slots busy · last seen \d+ s ago/);
    const rows = page.getByTestId("runs-table").getByRole("row");
    await expect
      .poll(() => rows.filter({ hasText: "held by a worker" }).textContent(), { timeout: 20_000 })
      .toContain("server · worker lab-pc-1");
    const waiting = rows.filter({ hasText: "waiting its turn" });
    expect(await waiting.textContent()).toContain("#1 in queue");
    mkdirSync(SHOTS_DIR, { recursive: true });
    await page.screenshot({ path: `${SHOTS_DIR}/runs-workers-1440.png` });

    const phone = await openPage(studio.browser, { width: 375, height: 740 });
    await phone.page.goto(`${url}/#/runs`);
    const phoneStrip = phone.page.getByRole("region", { name: "Server queue and workers" });
    await expect.poll(() => phoneStrip.textContent(), { timeout: 20_000 }).toContain("lab-pc-1");
    expect(await phoneStrip.evaluate((e) => e.getBoundingClientRect().right <= window.innerWidth)).toBe(true);
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await phone.page.screenshot({ path: `${SHOTS_DIR}/runs-workers-375.png` });
    await phone.page.context().close();
  });
});
