import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { openPage, serveStudio } from "./harness";

/*
 * The Runs page over more runs than one page holds, against the real server:
 * the oldest run is reached by paging and by a filter, the server sorts the
 * whole registry, tags typed with commas become several tags, and the page
 * reads at a desktop and a phone width (screenshots under SHOTS_DIR).
 */

const RUNS = 130;
const SHOTS_DIR = process.env.LAYERLAB_SHOTS_DIR ?? "/tmp/shots";
const YOUNGER_RATES = [1e-3, 3e-4, 7e-4, 0.02, 5e-6];
/** The learning rate of the i-th run created (i ≥ 1). */
const youngerRate = (i: number) => YOUNGER_RATES[i % YOUNGER_RATES.length]!;
/** How many runs were created at this learning rate. */
const runsAt = (lr: number) =>
  Array.from({ length: RUNS - 1 }, (_, i) => youngerRate(i + 1)).filter((x) => x === lr).length;

const studio = serveStudio("runs-page", { server: true });
let page: Page;
let errors: string[];
let url: string;
let oldest: string;

/** POSTs JSON to the server and returns the answer's body. */
async function post(path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.ok, `${path} answered ${res.status}`).toBe(true);
  return res.json();
}

/** A run as the server answers it, the fields this test reads. */
interface CreatedRun {
  id: string;
  createdAt: number;
}

/** Registers a browser run (never trained) with this learning rate. */
async function browserRun(learningRate: number, extra: Record<string, unknown> = {}): Promise<CreatedRun> {
  return (await post("/api/runs", {
    template: "mlp",
    dataset: "shapes",
    executor: "browser",
    ifExists: "new",
    config: { learningRate },
    ...extra,
  })) as CreatedRun;
}

/** The table row whose text contains `text`. */
const row = (text: string | RegExp) => page.getByRole("row").filter({ hasText: text });
/** What the pager says, e.g. "26–50 of 130". */
const range = () => page.getByTestId("runs-range").first().textContent();

beforeAll(async () => {
  ({ page, errors, url } = studio);
  const first = await browserRun(3e-5, { name: "the oldest run", tags: ["first"] });
  oldest = first.id;
  // Later runs get later timestamps, so "oldest" is one run, not a tie.
  while (Date.now() <= first.createdAt) await new Promise((r) => setImmediate(r));
  for (let i = 1; i < RUNS - 1; i++) await browserRun(youngerRate(i));
  // The newest has the longest name a template gives: "CNN conv16-conv16-…-conv64 (9 add) · shapes · …".
  await browserRun(youngerRate(RUNS - 1), { template: "resnet-20", tags: ["residual"] });
}, 120_000);

describe("the Runs page with more runs than a page", () => {
  it("pages through every run: the oldest is on the last page", { timeout: 60_000 }, async () => {
    await page.goto(`${url}/#/runs`);
    await expect.poll(range, { timeout: 20_000 }).toBe(`1–25 of ${RUNS}`);
    expect(await page.locator("[data-testid=runs-table] tbody tr").count()).toBe(25);
    expect(await row("the oldest run").count()).toBe(0);
    // Unnamed runs are named by what sets them apart.
    expect(
      await page.getByRole("cell", { name: /^MLP \d+-128-64-\d+ · shapes · adam 1e-3 · bs \d+$/ }).count(),
    ).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) await page.getByRole("button", { name: "Next page" }).first().click();
    await expect.poll(range).toBe(`126–130 of ${RUNS}`);
    await expect.poll(() => row("the oldest run").count()).toBe(1);
    expect(await page.getByRole("button", { name: "Next page" }).first().isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Previous page" }).first().click();
    await expect.poll(range).toBe(`101–125 of ${RUNS}`);
  });

  it("finds the oldest run by its learning-rate range, its tag and free text", { timeout: 60_000 }, async () => {
    await page.getByLabel("Learning rate").selectOption({ label: "low: 0.00001 ≤ lr < 0.0001" });
    await expect.poll(range).toBe("1–1 of 1");
    expect(await row("the oldest run").count()).toBe(1);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(range).toBe(`1–25 of ${RUNS}`);
    await page.getByLabel("Tag").fill("first");
    await expect.poll(range).toBe("1–1 of 1");
    await page.getByRole("button", { name: "Clear filters" }).click();
    await page.getByLabel("Filter runs").fill("oldest");
    await expect.poll(range).toBe("1–1 of 1");
    expect(await row("the oldest run").count()).toBe(1);
    // 0.001 is "high", never "medium-high".
    await page.getByLabel("Filter runs").fill("");
    await page.getByLabel("Learning rate").selectOption("medium-high");
    await expect.poll(range).toBe(`1–25 of ${runsAt(7e-4)}`);
    expect(await row("adam 1e-3").count()).toBe(0);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(range).toBe(`1–25 of ${RUNS}`);
  });

  it("sorts the whole registry by accuracy, not just the newest page", { timeout: 60_000 }, async () => {
    await post(`/api/runs/${oldest}/events`, {
      events: [
        {
          seq: 0,
          time: 1,
          type: "start",
          backend: "webgpu",
          epochs: 1,
          stepsPerEpoch: 1,
          trainSamples: 1,
          valSamples: 0,
          paramCount: 1,
        },
        {
          seq: 1,
          time: 3,
          type: "done",
          epochs: 1,
          stoppedEarly: false,
          testLoss: 0.1,
          testAccuracy: 0.97,
          seconds: 1,
          artifacts: [],
        },
      ],
    });
    await page.getByRole("button", { name: /^Accuracy/ }).click();
    await expect
      .poll(() => page.locator("[data-testid=runs-table] tbody tr").first().textContent())
      .toContain("the oldest run");
    expect(await row("the oldest run").textContent()).toContain("97.00%");
  });

  it("splits tags typed with commas", { timeout: 30_000 }, async () => {
    page.once("dialog", (d) => d.accept("baseline, walk"));
    await row("the oldest run").getByRole("button", { name: "Tag" }).click();
    await expect.poll(() => row("the oldest run").locator(".tag").allTextContents()).toEqual(["baseline", "walk"]);
    const stored = (await (await fetch(`${url}/api/runs/${oldest}`)).json()) as { tags: string[] };
    expect(stored.tags).toEqual(["baseline", "walk"]);
  });

  it("reads at 1440×900 and at 375 px wide without the page scrolling sideways", { timeout: 60_000 }, async () => {
    mkdirSync(SHOTS_DIR, { recursive: true });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByRole("button", { name: /^Created/ }).click();
    await expect.poll(range).toBe(`1–25 of ${RUNS}`);
    await page.screenshot({ path: `${SHOTS_DIR}/runs-1440.png` });
    // The table fits the desktop width, the newest run's long name too: it lies inside its panel's box,
    // and nothing hides behind a sideways scroll.
    expect(await row(/conv16-conv16/).count()).toBe(1);
    const outside = await page.getByTestId("runs-table").evaluate((t) => {
      const table = t.getBoundingClientRect();
      const panel = t.closest(".panel")!;
      const box = panel.getBoundingClientRect();
      const style = getComputedStyle(panel);
      const left = box.left + Number.parseFloat(style.borderLeftWidth) + Number.parseFloat(style.paddingLeft);
      const right = box.right - Number.parseFloat(style.borderRightWidth) - Number.parseFloat(style.paddingRight);
      return {
        left: left - table.left,
        right: table.right - right,
        scrolled: t.parentElement!.scrollWidth - t.parentElement!.clientWidth,
      };
    });
    expect(outside.left).toBeLessThanOrEqual(0.5);
    expect(outside.right).toBeLessThanOrEqual(0.5);
    expect(outside.scrolled).toBeLessThanOrEqual(0);
    const phone = await openPage(studio.browser, { width: 375, height: 812 });
    try {
      await phone.page.goto(`${url}/#/runs`);
      await expect
        .poll(() => phone.page.getByTestId("runs-range").first().textContent(), { timeout: 20_000 })
        .toBe(`1–25 of ${RUNS}`);
      await phone.page.screenshot({ path: `${SHOTS_DIR}/runs-375.png` });
      await phone.page.screenshot({ path: `${SHOTS_DIR}/runs-375-full.png`, fullPage: true });
      await phone.page.getByTestId("runs-table").locator("tbody tr").first().scrollIntoViewIfNeeded();
      await phone.page.screenshot({ path: `${SHOTS_DIR}/runs-375-table.png` });
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.page.context().close();
    }
  });

  it("logs no console errors", () => {
    expect(errors).toEqual([]);
  });
});
