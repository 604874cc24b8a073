import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { serveStudio } from "./harness";

/*
 * The studio served by the real LayerLab server (packages/server) on a random
 * 127.0.0.1 port with its own data folder: train on the server's job queue,
 * watch the same live view, reload mid-run and reattach without losing events.
 */

const studio = serveStudio("server", { server: true });
let page: Page;
let url: string;
beforeAll(() => {
  ({ page, url } = studio);
});

/** Every event of run `id` the server has recorded, replayed from its history. */
async function recordedEvents(id: string): Promise<{ type: string; seq: number }[]> {
  const text = await (await fetch(`${url}/api/runs/${id}/events?mode=history`)).text();
  return [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!)).filter((e) => typeof e.seq === "number");
}

describe("studio against the LayerLab server", () => {
  it("trains on the server, reloads mid-run and reattaches without missing an event", {
    timeout: 300_000,
  }, async () => {
    await page.goto(`${url}/#/train`);
    const serverChoice = page.locator('input[name="where"]').nth(1);
    await expect.poll(() => serverChoice.isEnabled(), { timeout: 20_000 }).toBe(true);
    await serverChoice.check();
    await page.fill("#cfg-epochs", "30");
    await page.click("[data-testid=start]");
    const points = () => page.getAttribute("[data-testid=chart-batch-loss]", "data-points").then(Number);
    await expect.poll(points, { timeout: 120_000 }).toBeGreaterThan(0);
    const runId = (await page.evaluate(() => JSON.parse(sessionStorage.getItem("layerlab.attachedRun")!).id)) as string;
    const before = (await (await fetch(`${url}/api/runs/${runId}`)).json()) as { status: string };
    expect(before.status).toBe("running");

    await page.reload();
    await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 240_000 }).toBe("done");
    const events = await recordedEvents(runId);
    const batches = events.filter((e) => e.type === "batch").length;
    expect(batches).toBeGreaterThan(1);
    // The reattached chart holds every batch event, none twice.
    expect(await points()).toBe(batches);
    await expect.poll(() => page.locator("[data-testid=test-accuracy]").count(), { timeout: 30_000 }).toBe(1);
    const done = (await (await fetch(`${url}/api/runs/${runId}`)).json()) as { metrics: { testAccuracy: number } };
    expect(await page.textContent("[data-testid=test-accuracy]")).toBe(
      `${(done.metrics.testAccuracy * 100).toFixed(2)}%`,
    );
    // The export links next to the artifacts answer (the server builds each on first request).
    for (const name of ["report.html", "model.onnx"]) {
      const href = await page.getAttribute(`[data-testid='export-${name}']`, "href");
      expect(href).toBe(`/api/runs/${runId}/artifacts/${name}`);
      const res = await fetch(new URL(href!, url));
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it("tests the server model by drawing", { timeout: 60_000 }, async () => {
    await page.click('nav a[href="#/draw"]');
    const box = (await page.locator("[data-testid=draw-canvas]").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await page.mouse.down();
    for (const [fx, fy] of [
      [0.7, 0.3],
      [0.7, 0.7],
      [0.3, 0.7],
      [0.3, 0.3],
    ] as const) {
      await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 4 });
    }
    await page.mouse.up();
    const prediction = page.locator("[data-testid=prediction]").first();
    await expect.poll(() => prediction.count(), { timeout: 30_000 }).toBe(1);
    expect(["circle", "square", "triangle"]).toContain(await prediction.textContent());
  });

  it("offers 'Train this configuration' when the registry has no such model, and opens the builder pre-filled", async () => {
    await page.selectOption("#q-ds", "shapes");
    await page.fill("#q-hidden", "99,33");
    await page.click("text=Find model");
    await page.click("text=Train this configuration");
    await expect.poll(() => new URL(page.url()).hash).toBe("#/build");
    expect(await page.inputValue("#layer-1-units")).toBe("99");
    expect(await page.textContent("[data-testid=spec-status]")).toContain("ready to train");
  });

  it("lists the server run in the runs table", async () => {
    await page.click('nav a[href="#/runs"]');
    const table = page.locator("[data-testid=runs-table]");
    await expect.poll(() => table.textContent(), { timeout: 20_000 }).toContain("succeeded");
  });
});
