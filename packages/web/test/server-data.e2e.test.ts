import type { Page } from "playwright-core";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { serveStudio, zipOf } from "./harness";

/*
 * The studio's data and registry views against the real LayerLab server: a
 * ZIP upload with its progress and import report, a server dataset's samples
 * and class counts, a server run's results (test.json and the test split), and the runs
 * page's rename, tag, compare and delete.
 */

// CIFAR-10's download goes to a closed port, so the page meets the server's "not installed" answer without a network.
const studio = serveStudio("server-data", {
  server: true,
  serverEnv: () => ({ CIFAR10_URL: "http://127.0.0.1:1/cifar-10-binary.tar.gz" }),
});
let page: Page;
let errors: string[];
let url: string;
beforeAll(() => {
  ({ page, errors, url } = studio);
});

/** A 16×16 greyscale PNG: a bright square (class "light") or a dark one ("dark"), shifted by `k`. */
function squarePng(bright: boolean, k: number): Promise<Buffer> {
  const pixels = Buffer.alloc(16 * 16, bright ? 30 : 200);
  for (let y = 4; y < 10; y++) for (let x = 3 + (k % 5); x < 9 + (k % 5); x++) pixels[y * 16 + x] = bright ? 250 : 10;
  return sharp(pixels, { raw: { width: 16, height: 16, channels: 1 } })
    .png()
    .toBuffer();
}

async function startRun(name: string, learningRate: number): Promise<string> {
  const res = await fetch(`${url}/api/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name,
      template: "mlp",
      dataset: "shapes",
      executor: "server",
      limit: 200,
      config: { epochs: 2, batchSize: 32, learningRate },
    }),
  });
  expect(res.status).toBeLessThan(300);
  return ((await res.json()) as { id: string }).id;
}

async function waitSucceeded(id: string): Promise<void> {
  await expect
    .poll(async () => ((await (await fetch(`${url}/api/runs/${id}`)).json()) as { status: string }).status, {
      timeout: 120_000,
      interval: 250,
    })
    .toBe("succeeded");
}

/** The runs table's row showing `name`. */
const row = (p: Page, name: string) => p.locator("[data-testid=runs-table] tbody tr", { hasText: name });

describe("data and registry views against the LayerLab server", () => {
  it("uploads a ZIP with a progress bar, shows the import report, then the dataset's samples and class counts", {
    timeout: 120_000,
  }, async () => {
    const files: Record<string, Buffer> = {};
    for (let k = 0; k < 12; k++) files[`light/${k}.png`] = await squarePng(true, k);
    for (let k = 0; k < 8; k++) files[`dark/${k}.png`] = await squarePng(false, k);
    await page.goto(`${url}/#/train`);
    const upload = page.locator('input[type=file][accept*="zip"]');
    await expect.poll(() => upload.count(), { timeout: 20_000 }).toBe(1);
    await upload.setInputFiles({ name: "squares.zip", mimeType: "application/zip", buffer: zipOf(files) });
    await expect.poll(() => page.locator("[data-testid=import-report]").count(), { timeout: 60_000 }).toBe(1);
    expect(await page.getAttribute("[data-testid=upload-progress]", "value")).toBe("1");
    const report = (await page.textContent("[data-testid=import-report]")) ?? "";
    expect(report).toMatch(/Imported squares/);
    // Every image landed in train or test, under its folder's class.
    const counts = await page
      .locator("[data-testid=import-report] tbody tr")
      .evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll("td"), (td) => td.textContent)));
    const total = (c: string) => counts.filter((r) => r[0] === c).reduce((s, r) => s + Number(r[1]) + Number(r[2]), 0);
    expect(total("light")).toBe(12);
    expect(total("dark")).toBe(8);
    // The new dataset is offered at once; choosing it shows its samples and class counts.
    const choice = page.locator("label.radio", { hasText: "squares" }).locator("input");
    await expect.poll(() => choice.count(), { timeout: 10_000 }).toBe(1);
    await choice.check();
    const samples = page.locator("[data-testid=data-samples]");
    await expect.poll(() => samples.count(), { timeout: 30_000 }).toBe(1);
    const shown = await samples
      .locator("tbody tr")
      .evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll("td"), (td) => td.textContent)));
    expect(shown).toEqual(counts);
    expect(await samples.locator("canvas").count()).toBe(1);
  });

  it("shows a server run's results as a browser run's: confusion matrix, per-class table, misclassified and test-image galleries", {
    timeout: 150_000,
  }, async () => {
    const id = await startRun("results run", 0.01);
    await waitSucceeded(id);
    const test = (await (await fetch(`${url}/api/runs/${id}/artifacts/test.json`)).json()) as {
      count: number;
      classes: string[];
      confusion: number[][];
      predictions: number[];
    };
    await page.click('nav a[href="#/runs"]');
    await expect.poll(() => row(page, "results run").count(), { timeout: 20_000 }).toBe(1);
    await row(page, "results run").locator("button", { hasText: "Open" }).click();
    const results = page.locator("[data-testid=results]");
    await expect.poll(() => results.count(), { timeout: 30_000 }).toBe(1);
    const cells = await results.locator(".confusion td").allTextContents();
    expect(cells.map(Number)).toEqual(test.confusion.flat());
    expect(cells.map(Number).reduce((a, b) => a + b, 0)).toBe(test.count);
    expect(await results.locator(".per-class tbody tr").count()).toBe(test.classes.length);
    const wrong = test.count - test.confusion.reduce((a, r, i) => a + r[i]!, 0);
    expect(await results.textContent()).toContain(`Misclassified (${wrong})`);
    // The grids draw the test split's images with the run's predictions: green captions name the class.
    const grids = results.locator(".pred-grid");
    expect(await grids.last().locator("figure").count()).toBe(Math.min(32, test.count));
    const firstCaption = await grids.last().locator("figcaption").first().textContent();
    expect(firstCaption).toContain(test.classes[test.predictions[0]!]!);
    expect(await grids.first().locator("figure.wrong").count()).toBe(Math.min(24, wrong));
    // A confusion cell selects its images.
    const [a, p] = [0, 0];
    await results.locator(".confusion tbody tr").nth(a).locator("td button").nth(p).click();
    expect(await results.locator(".pred-grid figure").count()).toBe(Math.min(48, test.confusion[a]![p]!));
    // The server's downloads stay next to the results.
    expect(await results.locator("[data-testid=server-downloads] a", { hasText: "test.json" }).count()).toBe(1);
  });

  it("renames, tags, compares and deletes runs from the runs page", { timeout: 200_000 }, async () => {
    const a = await startRun("run alpha", 0.02);
    const b = await startRun("run beta", 0.005);
    await waitSucceeded(a);
    await waitSucceeded(b);
    await page.click('nav a[href="#/build"]');
    await page.click('nav a[href="#/runs"]');
    await expect.poll(() => row(page, "run beta").count(), { timeout: 20_000 }).toBe(1);

    page.once("dialog", (d) => d.accept("run alpha renamed"));
    await row(page, "run alpha").locator("button", { hasText: "Rename" }).click();
    await expect.poll(() => row(page, "run alpha renamed").count()).toBe(1);
    const renamed = (await (await fetch(`${url}/api/runs/${a}`)).json()) as { name: string };
    expect(renamed.name).toBe("run alpha renamed");

    page.once("dialog", (d) => d.accept("keeper"));
    await row(page, "run beta").locator("button", { hasText: "Tag" }).click();
    await expect.poll(() => row(page, "run beta").locator(".tag").allTextContents()).toEqual(["keeper"]);
    // The filter finds runs by tag.
    await page.fill('[aria-label="Filter runs"]', "keeper");
    await expect.poll(() => page.locator("[data-testid=runs-table] tbody tr").count()).toBe(1);
    await page.fill('[aria-label="Filter runs"]', "");

    await page.check('[aria-label="select run alpha renamed"]');
    await page.check('[aria-label="select run beta"]');
    await page.click("text=Compare selected");
    await expect.poll(() => new URL(page.url()).hash, { timeout: 20_000 }).toMatch(/^#\/compare\?runs=[^,]+,[^,]+$/);
    await page.waitForSelector("[data-testid=config-diff]");
    expect(await page.textContent("[data-testid=config-diff]")).toContain("config.learningRate");
    // Both server runs' confusion matrices beside their difference, and the same test images predicted by each.
    const disagree = page.getByRole("region", { name: "Where they disagree" });
    await expect.poll(() => disagree.locator("table.confusion:not(.difference)").count(), { timeout: 30_000 }).toBe(2);
    expect(await disagree.locator("table.difference").count()).toBe(1);
    const sides = page.locator(".side-by-side > div");
    await expect.poll(() => sides.locator(".pred-grid").count(), { timeout: 30_000 }).toBe(2);
    const labels = (k: number) =>
      sides
        .nth(k)
        .locator(".pred-grid canvas")
        .evaluateAll((cs) => cs.map((c) => c.getAttribute("aria-label")));
    expect(await labels(0)).toEqual(await labels(1));
    expect((await labels(0)).length).toBe(16);

    await page.click('nav a[href="#/runs"]');
    await expect.poll(() => row(page, "run beta").count(), { timeout: 20_000 }).toBe(1);
    page.once("dialog", (d) => d.accept());
    await row(page, "run beta").locator("button", { hasText: "Delete" }).click();
    await expect.poll(() => row(page, "run beta").count(), { timeout: 20_000 }).toBe(0);
    expect((await fetch(`${url}/api/runs/${b}`)).status).toBe(404);
  });

  it("shows the server's words when it refuses a ZIP or cannot provide CIFAR-10", { timeout: 60_000 }, async () => {
    const before = errors.length;
    await page.goto(`${url}/#/train`);
    const upload = page.locator('input[type=file][accept*="zip"]');
    await expect.poll(() => upload.count(), { timeout: 20_000 }).toBe(1);
    const files: Record<string, Buffer> = {};
    for (let k = 0; k < 4; k++) files[`light/${k}.png`] = await squarePng(true, k);
    await upload.setInputFiles({ name: "one-class.zip", mimeType: "application/zip", buffer: zipOf(files) });
    const refusal = page.locator("[data-testid=upload-error]");
    await expect.poll(() => refusal.count(), { timeout: 30_000 }).toBe(1);
    const refused = (await refusal.textContent()) ?? "";
    expect(refused).toContain('found 1 class ("light")');
    expect(refused).toContain("needs at least 2");
    expect(refused).not.toMatch(/upload failed \(\d+\)/);

    await page.locator("label.radio", { hasText: "cifar10" }).locator("input").check();
    const problem = page.locator(".data-panel .problem.error", { hasText: "CIFAR-10" });
    await expect.poll(() => problem.count(), { timeout: 30_000 }).toBe(1);
    const unavailable = (await problem.textContent()) ?? "";
    expect(unavailable).toContain("Cannot download CIFAR-10");
    expect(unavailable).toMatch(/cifar10[\\/]cifar-10-binary\.tar\.gz/);
    expect(unavailable).toContain("test_batch.bin");
    expect(unavailable).not.toMatch(/could not be downloaded \(\d+\)/);
    // The browser logs the refused requests themselves (422, 503); those are this test's point, not faults.
    const logged = errors.splice(before);
    errors.push(...logged.filter((e) => !/status of (422|503)/.test(e)));
  });

  it("logs no console errors", () => {
    expect(errors).toEqual([]);
  });
});
