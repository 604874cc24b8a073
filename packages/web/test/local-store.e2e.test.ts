import { mkdirSync } from "node:fs";
import type { Locator, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { drawSquare, openPage, serveStudio } from "./harness";

/*
 * A studio without a server (the static build under Vite preview): runs
 * trained in the browser are kept in this browser profile's IndexedDB and
 * show on the Runs, run, Draw and Compare pages after a reload, as a server's
 * registry would show them; the duplicate prompt works against the store;
 * Delete removes a run from it; and another browser profile sees none of
 * them. Driven by role and visible text; every step leaves a 1440×900
 * screenshot in /tmp/shots/local/.
 */

const SHOTS = "/tmp/shots/local";
const VIEWPORT = { width: 1440, height: 900 };
const studio = serveStudio("local-store");
let page: Page;
let url: string;
beforeAll(async () => {
  ({ page, url } = studio);
  await page.setViewportSize(VIEWPORT);
  mkdirSync(SHOTS, { recursive: true });
});

const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}/${name}.png` });

/** Moves by the app's navigation, as a person does. */
async function go(p: Page, label: string, route: string): Promise<void> {
  await p.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: label, exact: true }).click();
  await expect.poll(() => new URL(p.url()).hash).toBe(`#/${route}`);
}

/** The Runs page's table rows that list a run (its header row left out). */
function runRows(p: Page): Locator {
  return p
    .getByRole("table")
    .getByRole("row")
    .filter({ has: p.getByRole("checkbox") });
}

/** Sets the MLP template, the generated shapes, 2 epochs on 600 samples, and presses Start (the train page after). */
async function startMlpOnShapes(p: Page): Promise<void> {
  await go(p, "Build", "build");
  await p.getByRole("button", { name: "MLP", exact: true }).click();
  await go(p, "Data & train", "train");
  await p.getByRole("radio", { name: /Synthetic shapes/ }).check();
  await p.getByLabel("Epochs", { exact: true }).fill("2");
  await p.getByLabel("Train on the first N samples only").fill("600");
  await p.getByRole("button", { name: /^Start/ }).click();
}

/** Waits until the run shown on the train page is done; returns its name (from the dashboard's heading). */
async function waitUntilTrained(p: Page): Promise<string> {
  await expect.poll(() => p.getByTestId("run-status").textContent(), { timeout: 120_000 }).toBe("done");
  const heading = p.getByRole("heading", { name: /· in this browser/ });
  await heading.scrollIntoViewIfNeeded();
  const text = (await heading.textContent()) ?? "";
  return text.replace(/ · in this browser.*$/, "");
}

/**
 * Opens the Runs page and waits until `count` runs named `name` are listed as
 * succeeded with a test accuracy: this browser has stored them with their results.
 */
async function waitUntilStored(p: Page, name: string, count: number): Promise<void> {
  await go(p, "Runs", "runs");
  const stored = runRows(p).filter({ hasText: name }).filter({ hasText: "succeeded" }).filter({ hasText: "%" });
  await expect.poll(() => stored.count(), { timeout: 20_000 }).toBe(count);
}

/** Every box of `parts` lies within the viewport. */
async function expectInView(parts: Locator[]): Promise<void> {
  for (const part of parts) {
    const box = (await part.boundingBox())!;
    expect(box, "the part is shown").not.toBeNull();
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(VIEWPORT.width);
    expect(box.y + box.height).toBeLessThanOrEqual(VIEWPORT.height);
  }
}

describe("browser runs without a server, kept in IndexedDB", () => {
  let runName = "";

  it("trains the MLP on shapes and lists the run on the Runs page after a reload", { timeout: 180_000 }, async () => {
    await page.goto(`${url}/#/build`);
    // No server answers: only this browser can train.
    await expect.poll(() => page.getByRole("radio", { name: /Server/ }).count(), { timeout: 20_000 }).toBe(0);
    await startMlpOnShapes(page);
    runName = await waitUntilTrained(page);
    expect(runName).toBe("MLP 784-128-64-3 · shapes · adam 1e-3 · bs 64");
    await shot(page, "1-trained");
    await waitUntilStored(page, runName, 1);

    await page.reload();
    await go(page, "Runs", "runs");
    const row = runRows(page).filter({ hasText: runName });
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    const cells = await row.getByRole("cell").allTextContents();
    expect(cells).toContain("succeeded");
    expect(cells).toContain("shapes");
    expect(cells).toContain("browser");
    expect(cells.find((c) => c.endsWith("%"))).toMatch(/^\d{1,3}\.\d\d%$/);
    await shot(page, "2-runs-after-reload");
  });

  it("opens the stored run with its results and configuration in view", { timeout: 60_000 }, async () => {
    await runRows(page).filter({ hasText: runName }).getByRole("button", { name: "Open" }).click();
    await expect.poll(() => new URL(page.url()).hash).toMatch(/^#\/run\/browser-/);
    await expect.poll(() => page.getByTestId("run-page-status").textContent(), { timeout: 20_000 }).toBe("succeeded");
    expect(await page.getByRole("heading", { level: 2 }).first().textContent()).toBe(runName);
    const accuracy = page.getByTestId("test-accuracy");
    await expect.poll(() => accuracy.count(), { timeout: 20_000 }).toBe(1);
    await expectInView([accuracy, page.getByTestId("run-config"), page.getByTestId("run-model")]);
    const config = page.getByRole("complementary", { name: "Model and configuration" });
    expect(await config.textContent()).toContain("epochs2");
    expect(await page.getByText("kept in this browser").count()).toBe(1);
    await shot(page, "3-run-opened");
  });

  it("offers the stored run for drawing after a reload, and drawing gives probabilities", {
    timeout: 60_000,
  }, async () => {
    await page.reload();
    await go(page, "Test by drawing", "draw");
    const chip = page.getByRole("checkbox", { name: runName });
    await expect.poll(() => chip.count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => chip.isChecked()).toBe(true);
    await drawSquare(page);
    const prediction = page.getByTestId("prediction");
    await expect.poll(() => prediction.count(), { timeout: 30_000 }).toBe(1);
    expect(["circle", "square", "triangle"]).toContain(await prediction.textContent());
    const percentages = (await page.getByTestId("probabilities").getByRole("listitem").allTextContents()).map((t) =>
      Number(/([\d.]+)%$/.exec(t)?.[1]),
    );
    expect(percentages).toHaveLength(3);
    expect(percentages.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
    await shot(page, "4-draw");
  });

  it("asks about the duplicate: using the existing run creates nothing, a new copy is a second run", {
    timeout: 180_000,
  }, async () => {
    await go(page, "Runs", "runs");
    await expect.poll(() => runRows(page).count(), { timeout: 20_000 }).toBe(1);

    await startMlpOnShapes(page);
    const prompt = page.getByRole("dialog", { name: "This configuration has a run already" });
    await expect.poll(() => prompt.count(), { timeout: 20_000 }).toBe(1);
    expect(await prompt.textContent()).toContain(runName);
    await shot(page, "5-duplicate-prompt");
    await prompt.getByRole("button", { name: "Use the existing run" }).click();
    await expect.poll(() => new URL(page.url()).hash).toMatch(/^#\/run\/browser-/);
    await expect.poll(() => page.getByTestId("run-page-status").textContent(), { timeout: 20_000 }).toBe("succeeded");
    await go(page, "Runs", "runs");
    await expect.poll(() => runRows(page).count(), { timeout: 20_000 }).toBe(1);

    await startMlpOnShapes(page);
    await expect.poll(() => prompt.count(), { timeout: 20_000 }).toBe(1);
    await prompt.getByRole("button", { name: "Train a new copy" }).click();
    expect(await waitUntilTrained(page)).toBe(runName);
    await waitUntilStored(page, runName, 2);
    await page.reload();
    await go(page, "Runs", "runs");
    await expect.poll(() => runRows(page).filter({ hasText: "succeeded" }).count(), { timeout: 20_000 }).toBe(2);
    await shot(page, "6-runs-two");
  });

  it("compares the two stored runs with distinct legend names", { timeout: 60_000 }, async () => {
    for (const box of await page.getByRole("checkbox", { name: `select ${runName}` }).all()) await box.check();
    await page.getByRole("button", { name: "Compare selected (2)" }).click();
    await expect.poll(() => new URL(page.url()).hash, { timeout: 20_000 }).toMatch(/^#\/compare\?runs=[^,]+,[^,]+$/);
    const charts = page.getByTestId("compare-charts");
    await expect.poll(() => charts.count(), { timeout: 20_000 }).toBe(1);
    // The two copies share a name; the choices tell them apart as the legends do.
    const choices = page.getByRole("group", { name: "Runs to compare" }).getByRole("checkbox");
    const choiceNames = await choices.evaluateAll((boxes) => boxes.map((b) => b.parentElement?.textContent?.trim()));
    expect(choiceNames).toHaveLength(2);
    expect(new Set(choiceNames).size).toBe(2);
    const diff = page.getByTestId("config-diff");
    const legends = (await diff.getByRole("columnheader").allTextContents()).slice(1);
    expect(legends).toHaveLength(2);
    expect(new Set(legends).size).toBe(2);
    for (const legend of legends) expect(legend.startsWith(runName)).toBe(true);
    const accuracies = await diff
      .getByRole("row")
      .filter({ hasText: "test accuracy" })
      .getByRole("cell")
      .allTextContents();
    expect(accuracies.slice(1)).toEqual([
      expect.stringMatching(/^\d{1,3}\.\d\d%$/),
      expect.stringMatching(/^\d{1,3}\.\d\d%$/),
    ]);
    await shot(page, "7-compare");
  });

  it("is this browser profile's: another profile sees none of these runs", { timeout: 60_000 }, async () => {
    const other = await openPage(studio.browser, VIEWPORT);
    try {
      await other.page.goto(`${url}/#/runs`);
      await expect.poll(() => other.page.getByText("No runs yet.").count(), { timeout: 20_000 }).toBe(1);
      expect(await runRows(other.page).count()).toBe(0);
      await shot(other.page, "8-other-profile-runs");
      await go(other.page, "Test by drawing", "draw");
      await expect.poll(() => other.page.getByText("No model trained in this browser yet.").count()).toBe(1);
      expect(await other.page.getByRole("checkbox", { name: runName }).count()).toBe(0);
      expect(other.errors).toEqual([]);
    } finally {
      await other.page.context().close();
    }
  });

  it("deletes a run from the store: it stays gone after a reload", { timeout: 60_000 }, async () => {
    await page.reload();
    await go(page, "Runs", "runs");
    await expect.poll(() => runRows(page).count(), { timeout: 20_000 }).toBe(2);
    page.once("dialog", (d) => void d.accept());
    await runRows(page).first().getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => runRows(page).count(), { timeout: 20_000 }).toBe(1);
    await page.reload();
    await expect.poll(() => runRows(page).count(), { timeout: 20_000 }).toBe(1);
    await shot(page, "9-after-delete");
    expect(studio.errors).toEqual([]);
  });
});
