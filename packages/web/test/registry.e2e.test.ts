import { mkdirSync } from "node:fs";
import { RunDetail, RunPage } from "@layerlab/api";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { drawSquare, openPage, serveStudio } from "./harness";

/*
 * The registry from the page, against the real LayerLab server: a run trained
 * in the browser is registered (events, weights, metrics, test results) and
 * outlives a reload and the browser; an aborted server run resumes from the
 * page; a configuration that has a run offers that run instead of a copy; and
 * opening a run shows that run. Every step leaves a 1440×900 screenshot in
 * /tmp/shots/journeys/.
 */

const SHOTS = "/tmp/shots/journeys";
/** The server run's training samples per epoch. */
const SERVER_LIMIT = "300";
const VIEWPORT = { width: 1440, height: 900 };
const studio = serveStudio("registry", { server: true });
let page: Page;
let url: string;
beforeAll(async () => {
  ({ page, url } = studio);
  await page.setViewportSize(VIEWPORT);
  mkdirSync(SHOTS, { recursive: true });
});

async function apiRuns(query = ""): Promise<RunPage> {
  return RunPage.parse(await (await fetch(`${url}/api/runs?${query}`)).json());
}

async function apiRun(id: string): Promise<RunDetail> {
  return RunDetail.parse(await (await fetch(`${url}/api/runs/${id}`)).json());
}

/** Every event of run `id` the server has recorded. */
async function recordedEvents(id: string): Promise<{ type: string; seq: number; seconds?: number }[]> {
  const text = await (await fetch(`${url}/api/runs/${id}/events?mode=history`)).text();
  return [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!)).filter((e) => typeof e.seq === "number");
}

const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}/${name}.png` });

/** Opens the train page once the page has found the server (so runs go to its registry). */
async function trainPage(p: Page): Promise<void> {
  await p.goto(`${url}/#/train`);
  const server = p.getByRole("radio", { name: /Server/ });
  await expect.poll(() => server.isEnabled(), { timeout: 20_000 }).toBe(true);
}

describe("the registry from the page", () => {
  let browserRunName = "";

  it("registers a browser run: it survives a reload and another browser draws on it", {
    timeout: 240_000,
  }, async () => {
    await trainPage(page);
    await page.getByRole("radio", { name: /This browser/ }).check();
    await page.fill("#cfg-epochs", "1");
    await page.fill("#limit", "300");
    await page.getByRole("button", { name: "Start training" }).click();
    await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 120_000 }).toBe("done");
    // Registered with the server, with its files uploaded before it says "succeeded".
    await expect
      .poll(async () => (await apiRuns("executor=browser")).runs.map((r) => r.status), { timeout: 30_000 })
      .toEqual(["succeeded"]);
    const [registered] = (await apiRuns("executor=browser")).runs;
    browserRunName = registered!.name;
    const detail = await apiRun(registered!.id);
    expect(detail.artifacts.map((a) => a.name).sort()).toEqual(
      // optimizer.safetensors: its resume point, uploaded at every epoch end.
      [
        "metrics.csv",
        "metrics.json",
        "normalization.json",
        "optimizer.safetensors",
        "test.json",
        "weights.safetensors",
      ].sort(),
    );
    const csv = await (await fetch(`${url}/api/runs/${registered!.id}/artifacts/metrics.csv`)).text();
    expect(csv.split("\n")[0]).toBe("epoch,train_loss,train_acc,val_loss,val_acc,lr,epoch_seconds");
    expect(csv.trim().split("\n")).toHaveLength(2);
    const events = await recordedEvents(registered!.id);
    expect(events.at(-1)!.type).toBe("done");
    expect(events.filter((e) => e.type === "batch").length).toBeGreaterThan(0);
    await shot(page, "1-browser-run-trained");

    await page.reload();
    await page.getByRole("link", { name: "Runs" }).click();
    const row = page.getByRole("row").filter({ hasText: browserRunName });
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    expect(await row.textContent()).toContain("browser");
    expect(await row.textContent()).toContain("succeeded");
    await shot(page, "2-runs-after-reload");

    const other = await openPage(studio.browser, VIEWPORT);
    try {
      await other.page.goto(`${url}/#/draw`);
      const chip = other.page.getByRole("checkbox", { name: browserRunName });
      await expect.poll(() => chip.count(), { timeout: 20_000 }).toBe(1);
      await expect.poll(() => chip.isChecked(), { timeout: 10_000 }).toBe(true);
      await drawSquare(other.page);
      const prediction = other.page.getByTestId("prediction").first();
      await expect.poll(() => prediction.count(), { timeout: 30_000 }).toBe(1);
      expect(["circle", "square", "triangle"]).toContain(await prediction.textContent());
      await shot(other.page, "3-other-browser-draws");
      // Its results in the other browser: the predictions it uploaded over the server's own shapes test
      // images, which are the page's (the default shapes are the built-in's bytes).
      await other.page.goto(`${url}/#/run/${registered!.id}`);
      const results = other.page.getByTestId("results");
      await expect.poll(() => results.count(), { timeout: 30_000 }).toBe(1);
      const cells = (await results.locator(".confusion td").allTextContents()).map(Number);
      expect(cells.reduce((a, b) => a + b, 0)).toBe(600);
      expect(other.errors).toEqual([]);
    } finally {
      await other.page.context().close();
    }
  });

  let serverRunId = "";

  it("resumes an aborted server run from the page; its time covers the whole run", { timeout: 300_000 }, async () => {
    await trainPage(page);
    await page.getByRole("radio", { name: /Server/ }).check();
    // Many short epochs (300 samples each): the abort lands early, and the resume has many left to train.
    await page.fill("#cfg-epochs", "25");
    await page.fill("#limit", SERVER_LIMIT);
    await page.getByRole("button", { name: "Start training" }).click();
    await expect.poll(async () => (await apiRuns("executor=server")).runs.length, { timeout: 20_000 }).toBe(1);
    serverRunId = (await apiRuns("executor=server")).runs[0]!.id;
    // Abort once a checkpoint exists, so the resume has one to start from.
    await expect
      .poll(async () => (await apiRun(serverRunId)).epochsDone, { timeout: 120_000, interval: 50 })
      .toBeGreaterThan(0);
    await page.getByRole("button", { name: "Abort" }).click();
    await expect.poll(async () => (await apiRun(serverRunId)).status, { timeout: 30_000 }).toBe("aborted");
    const abortedAfter = (await apiRun(serverRunId)).epochsDone;
    expect(abortedAfter).toBeLessThan(25);

    await page.getByRole("link", { name: "Runs" }).click();
    const row = page.getByRole("row").filter({ hasText: "aborted" });
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    await shot(page, "4-aborted-run-with-resume");
    await row.getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/run/${serverRunId}`);
    const status = page.getByTestId("run-page-status");
    // A look every quarter second: each costs the page and the runner CPU that the resumed training wants.
    await expect.poll(() => status.textContent(), { timeout: 240_000, interval: 250 }).toBe("succeeded");
    await expect.poll(() => page.getByTestId("test-accuracy").count(), { timeout: 30_000 }).toBe(1);
    await shot(page, "5-resumed-run-succeeded");

    const events = await recordedEvents(serverRunId);
    expect(events.filter((e) => e.type === "start")).toHaveLength(2);
    const epochs = events.filter((e) => e.type === "epoch");
    expect(epochs).toHaveLength(25);
    // The done event's time is the whole run's: at least every epoch's time, not only the resumed ones'.
    const epochSeconds = epochs.reduce((sum, e) => sum + e.seconds!, 0);
    expect(events.at(-1)!.type).toBe("done");
    expect(events.at(-1)!.seconds!).toBeGreaterThanOrEqual(epochSeconds);
  });

  it("offers the existing run for the same configuration, and using it creates nothing", {
    timeout: 120_000,
  }, async () => {
    const before = (await apiRuns()).total;
    // The server run's configuration (still in the studio) once more, on the server.
    await trainPage(page);
    await page.getByRole("radio", { name: /Server/ }).check();
    await page.fill("#cfg-epochs", "25");
    await page.fill("#limit", SERVER_LIMIT);
    await page.getByRole("button", { name: "Start training" }).click();
    const prompt = page.getByRole("dialog", { name: "This configuration has a run already" });
    await expect.poll(() => prompt.count(), { timeout: 20_000 }).toBe(1);
    await shot(page, "6-duplicate-prompt");
    await prompt.getByRole("button", { name: "Use the existing run" }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/run/${serverRunId}`);
    expect((await apiRuns()).total).toBe(before);

    // The browser run's configuration in the browser: the same prompt, for the registered browser run.
    await trainPage(page);
    await page.getByRole("radio", { name: /This browser/ }).check();
    await page.fill("#cfg-epochs", "1");
    await page.fill("#limit", "300");
    await page.getByRole("button", { name: "Start training" }).click();
    await expect.poll(() => prompt.count(), { timeout: 20_000 }).toBe(1);
    expect(await prompt.textContent()).toContain(browserRunName);
    await prompt.getByRole("button", { name: "Use the existing run" }).click();
    await expect.poll(() => new URL(page.url()).hash).toMatch(/^#\/run\//);
    expect((await apiRuns()).total).toBe(before);
  });

  it("opens a run with its results and configuration in view", { timeout: 60_000 }, async () => {
    await page.goto(`${url}/#/runs`);
    const row = page.getByRole("row").filter({ hasText: "server" }).filter({ hasText: "succeeded" });
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    await row.getByRole("button", { name: "Open" }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/run/${serverRunId}`);
    const accuracy = page.getByTestId("test-accuracy");
    await expect.poll(() => accuracy.count(), { timeout: 30_000 }).toBe(1);
    const config = page.getByRole("complementary", { name: "Model and configuration" });
    await shot(page, "7-run-opened");
    for (const part of [accuracy, page.getByTestId("run-config"), page.getByTestId("run-model")]) {
      const box = (await part.boundingBox())!;
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height).toBeLessThanOrEqual(VIEWPORT.height);
      expect(box.x + box.width).toBeLessThanOrEqual(VIEWPORT.width);
    }
    expect(await config.textContent()).toContain("epochs25");
    expect(await page.getByRole("button", { name: "Copy to builder" }).count()).toBe(1);
    await page.getByRole("button", { name: "Copy to builder" }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe("#/build");
  });
});
