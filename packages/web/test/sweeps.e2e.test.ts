import { mkdirSync } from "node:fs";
import { SweepList, SweepView } from "@layerlab/api";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { openPage, serveStudio } from "./harness";

/*
 * Sweeps from the page, as a new user meets them: on the Train page "Sweep…" names learning rate × optimizer
 * with two values each, shows the four runs and what they share before anything starts, and starts them on
 * the real LayerLab server; the sweep's page fills in as they train (score chart, overlaid curves, table,
 * findings), survives a reload, is listed on the Runs page, and Delete removes it with its runs. A k-fold
 * trains in the page itself (registered with the server), and a studio without a server keeps a sweep in
 * this browser. The MLP on 150 generated shapes, 2 epochs: every run takes about a second. Screenshots at
 * 1440×900 and 375×740 in /tmp/shots/sweeps/.
 */

const SHOTS = "/tmp/shots/sweeps";
const VIEWPORT = { width: 1440, height: 900 };
const PHONE = { width: 375, height: 740 };

const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

/** Moves by the app's navigation, as a person does. */
async function go(p: Page, label: string, route: string): Promise<void> {
  await p.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: label, exact: true }).click();
  await expect.poll(() => new URL(p.url()).hash).toBe(`#/${route}`);
}

/** The MLP template, 2 epochs on the first 150 samples, and the sweep form opened (the train page after). */
async function openSweepForm(p: Page): Promise<void> {
  await go(p, "Build", "build");
  await p.getByRole("button", { name: "MLP", exact: true }).click();
  await go(p, "Data & train", "train");
  await p.getByLabel("Epochs", { exact: true }).fill("2");
  await p.getByLabel("Train on the first N samples only").fill("150");
  await p.getByRole("button", { name: "Sweep…" }).click();
  await expect.poll(() => p.getByRole("heading", { name: "Sweep", exact: true }).isVisible()).toBe(true);
}

/** Waits until the sweep page says every run has finished (minutes on a busy 2-core machine: the server queue trains one at a time). */
async function waitForSweep(p: Page, runs: number): Promise<void> {
  await expect
    .poll(() => p.getByTestId("sweep-progress").textContent(), { timeout: 400_000, interval: 250 })
    .toBe(`${runs} of ${runs} runs finished`);
}

/** The statuses the sweep page's table shows, in grid order. */
async function tableStatuses(p: Page): Promise<string[]> {
  return p.getByTestId("sweep-table").locator("tbody .status").allTextContents();
}

/** The sweep id of the sweep page `p` shows. */
const sweepIdOf = (p: Page) => decodeURIComponent(new URL(p.url()).hash.replace(/^#\/sweeps\//, ""));

describe("sweeps on a server", () => {
  const studio = serveStudio("sweeps", { server: true });
  let page: Page;
  let url: string;
  beforeAll(async () => {
    ({ page, url } = studio);
    await page.setViewportSize(VIEWPORT);
    mkdirSync(SHOTS, { recursive: true });
  });

  /** Opens the train page once the page has found the server. */
  const serverTrainPage = async (p: Page) => {
    await p.goto(`${url}/#/train`);
    await expect.poll(() => p.getByRole("radio", { name: /^Server/ }).isEnabled(), { timeout: 20_000 }).toBe(true);
  };
  const apiSweep = async (id: string) => SweepView.parse(await (await fetch(`${url}/api/sweeps/${id}`)).json());
  /** The start event of run `id`, as the server recorded it. */
  const startEvent = async (id: string) => {
    const text = await (await fetch(`${url}/api/runs/${id}/events?mode=history`)).text();
    const events = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!));
    return events.find((e) => e.type === "start") as { initialWeightsSha256?: string; firstBatchSha256?: string };
  };

  it("learning rate × optimizer on the server: chart, curves, table and findings; a reload shows the same", {
    timeout: 600_000,
  }, async () => {
    await serverTrainPage(page);
    await openSweepForm(page);

    // A value that is not a number is named, with how to write it, and nothing can start.
    const lrValues = page.getByLabel("Values of learning rate, separated by commas");
    await lrValues.fill("1e-3, fast");
    await expect.poll(() => page.getByTestId("sweep-summary").textContent()).toContain('"fast" is not a number');
    expect(await page.getByRole("button", { name: /^Start sweep/ }).isDisabled()).toBe(true);
    await lrValues.fill("1e-3, 3e-2");
    await page.getByRole("button", { name: "+ Add a second setting" }).click();
    expect(await page.getByLabel("Setting 2").inputValue()).toBe("optimizer");
    expect(await page.getByRole("checkbox", { name: "sgd", exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole("checkbox", { name: "adam", exact: true }).isChecked()).toBe(true);
    const summary = page.getByTestId("sweep-summary");
    await expect.poll(() => summary.textContent()).toContain("4 runs of 2 epochs each, on the first 150 samples.");
    expect(await page.getByTestId("sweep-control-preview").textContent()).toMatch(
      /^Every run starts from the same initial weights \(seed \d+\) and sees the same validation split and the same data order each epoch; only learningRate and optimizer differ\.$/,
    );
    await page.getByRole("radio", { name: /^On the server/ }).check();
    await page.getByTestId("sweep-summary").scrollIntoViewIfNeeded();
    await shot(page, "1-form-1440");

    await page.getByRole("button", { name: "Start sweep of 4 runs" }).click();
    await expect.poll(() => new URL(page.url()).hash, { timeout: 20_000 }).toMatch(/^#\/sweeps\/sweep-/);
    const id = sweepIdOf(page);
    // Every progress line the page shows while the runs train, to check it followed them live.
    await page.getByTestId("sweep-progress").evaluate((el) => {
      const seen: string[] = [el.textContent ?? ""];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => seen.push(el.textContent ?? "")).observe(el, {
        childList: true,
        subtree: true,
        characterData: true,
      });
    });
    expect(await page.getByTestId("sweep-control").textContent()).toContain("only learningRate and optimizer differ");
    await waitForSweep(page, 4);
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(
      seen.some((t) => /^[0-3] of 4 runs finished · .*waiting/.test(t)),
      seen.join(" | "),
    ).toBe(true);
    expect(await tableStatuses(page)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    const rows = page.getByTestId("sweep-table").locator("tbody tr");
    expect(await rows.nth(0).textContent()).toMatch(/^10\.001sgdsucceeded2 of 2\d+\.\d%/);
    expect(await page.getByTestId("sweep-table").getByText("★ best").count()).toBe(1);
    // Four scores on the chart (two lines of two), and every run's two epochs among the curves.
    await expect.poll(() => page.getByTestId("sweep-score-chart").getAttribute("data-points")).toBe("4");
    await expect.poll(() => page.getByTestId("sweep-curves").getAttribute("data-points")).toBe("8");
    const chart = page.getByRole("img", { name: /^test accuracy against learning rate, one line per optimizer/ });
    expect(await chart.count()).toBe(1);
    expect(await page.getByRole("list", { name: "Lines: Optimizer" }).textContent()).toBe("Optimizer:sgdadam");
    const findings = await page.getByTestId("sweep-findings").locator("li").allTextContents();
    expect(findings[0]).toMatch(/^Best: learningRate=.*, optimizer=.* at \d+\.\d%; worst: .* at \d+\.\d%\.$/);
    expect(findings.some((f) => /^learningRate (moved the score by|hardly mattered)/.test(f))).toBe(true);
    expect(findings.some((f) => /^optimizer (moved the score by|hardly mattered)/.test(f))).toBe(true);

    // What the page says is what the server ran: one seed, so the same first weights and the same first batch.
    const view = await apiSweep(id);
    expect(view.runs.map((r) => [r.run.learningRate, r.run.optimizer, r.run.executor])).toEqual([
      [0.001, "sgd", "server"],
      [0.001, "adam", "server"],
      [0.03, "sgd", "server"],
      [0.03, "adam", "server"],
    ]);
    const starts = await Promise.all(view.runs.map((r) => startEvent(r.run.id)));
    expect(new Set(starts.map((s) => s.initialWeightsSha256)).size).toBe(1);
    expect(new Set(starts.map((s) => s.firstBatchSha256)).size).toBe(1);
    expect(starts[0]!.initialWeightsSha256).toMatch(/^[0-9a-f]{64}$/);
    await shot(page, "2-sweep-1440");

    // The report: the same facts as one page to keep.
    const href = await page.getByRole("link", { name: "Report" }).getAttribute("href");
    const report = await (await fetch(`${url}${href}`)).text();
    expect(report).toContain("<h2>Sweep</h2>");
    expect(report).toContain(view.control);
    expect(report.match(/<td>succeeded<\/td>/g)).toHaveLength(4);

    await page.reload();
    await expect
      .poll(() => tableStatuses(page), { timeout: 20_000 })
      .toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    await expect.poll(() => page.getByTestId("sweep-score-chart").getAttribute("data-points")).toBe("4");
    await expect.poll(() => page.getByTestId("sweep-curves").getAttribute("data-points")).toBe("8");
    expect(await page.getByTestId("sweep-findings").locator("li").allTextContents()).toEqual(findings);

    // On a phone: nothing wider than the screen, the chart drawn.
    const phone = await openPage(studio.browser, PHONE);
    try {
      await phone.page.goto(`${url}/#/sweeps/${id}`);
      await expect
        .poll(() => phone.page.getByTestId("sweep-score-chart").getAttribute("data-points"), { timeout: 20_000 })
        .toBe("4");
      await expect.poll(() => phone.page.getByTestId("sweep-curves").getAttribute("data-points")).toBe("8");
      const svgWidth = await phone.page.locator("[data-testid=sweep-score-chart] svg").evaluate((s) => s.clientWidth);
      expect(svgWidth).toBeGreaterThan(250);
      expect(svgWidth).toBeLessThanOrEqual(PHONE.width);
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await shot(phone.page, "3-sweep-375");
      expect(phone.errors, phone.errors.join("\n")).toEqual([]);
    } finally {
      await phone.page.context().close();
    }
    // The form at the phone's width, in this page narrowed to it: a fresh page would draw the shapes
    // for its train page again, seconds of CPU that show nothing more.
    await page.setViewportSize(PHONE);
    await openSweepForm(page);
    await page.getByRole("button", { name: "+ Add a second setting" }).click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await page.getByRole("heading", { name: "Sweep", exact: true }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/3b-form-375.png` });
    await page.setViewportSize(VIEWPORT);

    // The Runs page lists the sweep as one, with its runs counted.
    await go(page, "Runs", "runs");
    const listed = page.getByTestId("sweeps-table").getByRole("row").filter({ hasText: view.name });
    await expect.poll(() => listed.count(), { timeout: 20_000 }).toBe(1);
    expect(await listed.textContent()).toContain("learning rate (2) × optimizer (2)");
    expect(await listed.textContent()).toContain("4 succeeded");
    await page.getByTestId("sweeps-table").scrollIntoViewIfNeeded();
    await shot(page, "4-runs-page-1440");

    // Delete, from the sweep's page, asks first, then removes the sweep and every run of it.
    await listed.getByRole("link", { name: "Open" }).click();
    await expect.poll(() => tableStatuses(page), { timeout: 20_000 }).toHaveLength(4);
    let asked = "";
    page.once("dialog", (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => new URL(page.url()).hash, { timeout: 20_000 }).toBe("#/runs");
    expect(asked).toBe(`Delete the sweep "${view.name}" and its 4 runs with their files?`);
    expect((await fetch(`${url}/api/sweeps/${id}`)).status).toBe(404);
    for (const r of view.runs) expect((await fetch(`${url}/api/runs/${r.run.id}`)).status).toBe(404);
    await expect
      .poll(() => page.getByTestId("sweeps-table").getByRole("row").filter({ hasText: view.name }).count())
      .toBe(0);
    expect(studio.errors, studio.errors.join("\n")).toEqual([]);
  });

  it("a 2-fold cross-validation trained in this browser: mean ± std over the folds, registered with the server", {
    timeout: 240_000,
  }, async () => {
    await serverTrainPage(page);
    await openSweepForm(page);
    await page.getByRole("radio", { name: /^k-fold cross-validation/ }).check();
    await page.getByLabel("Folds (k)").fill("2");
    await page.getByRole("radio", { name: /^In this browser/ }).check();
    await expect.poll(() => page.getByTestId("sweep-summary").textContent()).toContain("2 runs of 2 epochs each");
    expect(await page.getByTestId("sweep-control-preview").textContent()).toContain(
      "each holds out a different one of 2 stratified parts",
    );
    await page.getByRole("button", { name: "Start sweep of 2 runs" }).click();
    await expect.poll(() => new URL(page.url()).hash, { timeout: 20_000 }).toMatch(/^#\/sweeps\/sweep-/);
    const id = sweepIdOf(page);
    await waitForSweep(page, 2);
    const headline = page.getByTestId("kfold-result");
    expect(await headline.locator(".kfold-main").textContent()).toMatch(/^\d+\.\d% ± \d+\.\d% over 2 folds$/);
    expect(await headline.textContent()).toMatch(/fold 1 \d+\.\d% · fold 2 \d+\.\d%/);
    await expect.poll(() => page.getByTestId("sweep-score-chart").getAttribute("data-points")).toBe("2");
    await expect.poll(() => page.getByTestId("sweep-curves").getAttribute("data-points")).toBe("4");
    // A fold is not a setting to pick: the page says how far the folds spread, and marks no fold best.
    expect(await page.getByTestId("sweep-findings").textContent()).toMatch(
      /^Across the folds the final validation accuracy runs from \d+\.\d% to \d+\.\d%/,
    );
    expect(await page.getByTestId("sweep-table").getByText("★ best").count()).toBe(0);
    await shot(page, "5-kfold-browser-1440");

    // Trained here, recorded there: both folds are the server's browser runs, with their files uploaded.
    const view = await apiSweep(id);
    expect(view.executor).toBe("browser");
    expect(view.runs.map((r) => [r.run.executor, r.run.status])).toEqual([
      ["browser", "succeeded"],
      ["browser", "succeeded"],
    ]);
    expect(view.kfold?.text).toBe(await headline.locator(".kfold-main").textContent());
    const starts = await Promise.all(view.runs.map((r) => startEvent(r.run.id)));
    expect(starts[0]!.initialWeightsSha256).toBe(starts[1]!.initialWeightsSha256);
    const list = SweepList.parse(await (await fetch(`${url}/api/sweeps`)).json());
    expect(list.sweeps.find((s) => s.id === id)?.kind).toBe("kfold");
    expect(studio.errors, studio.errors.join("\n")).toEqual([]);
  });

  it("stops a sweep training in this browser: the run training ends aborted, the waiting ones never start", {
    timeout: 180_000,
  }, async () => {
    await serverTrainPage(page);
    await openSweepForm(page);
    await page.getByLabel("Epochs", { exact: true }).fill("200");
    await page.getByLabel("Values of learning rate, separated by commas").fill("1e-3, 3e-3, 1e-2");
    await page.getByRole("radio", { name: /^In this browser/ }).check();
    await page.getByRole("button", { name: "Start sweep of 3 runs" }).click();
    await expect.poll(() => new URL(page.url()).hash, { timeout: 20_000 }).toMatch(/^#\/sweeps\/sweep-/);
    const id = sweepIdOf(page);
    await expect
      .poll(() => page.getByTestId("sweep-progress").textContent(), { timeout: 60_000 })
      .toMatch(/^0 of 3 runs finished · 1 training · 2 waiting/);
    await page.getByRole("button", { name: "Stop" }).click();
    await waitForSweep(page, 3);
    await expect.poll(() => tableStatuses(page), { timeout: 20_000 }).toEqual(["aborted", "aborted", "aborted"]);
    const view = await apiSweep(id);
    expect(view.runs.map((r) => r.run.status)).toEqual(["aborted", "aborted", "aborted"]);
    // Only the first run ever started.
    expect(view.runs.map((r) => r.run.startedAt !== null)).toEqual([true, false, false]);
    expect(await page.getByRole("button", { name: "Stop" }).count()).toBe(0);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => new URL(page.url()).hash, { timeout: 20_000 }).toBe("#/runs");
    expect((await fetch(`${url}/api/sweeps/${id}`)).status).toBe(404);
  });
});

describe("sweeps without a server", () => {
  const studio = serveStudio("sweeps-local");
  let page: Page;
  beforeAll(async () => {
    page = studio.page;
    await page.setViewportSize(VIEWPORT);
    mkdirSync(SHOTS, { recursive: true });
  });

  it("keeps a sweep in this browser: trained here, one object after a reload, deleted with its runs", {
    timeout: 240_000,
  }, async () => {
    await page.goto(`${studio.url}/#/train`);
    await openSweepForm(page);
    await page.getByLabel("Values of learning rate, separated by commas").fill("1e-3, 1e-2");
    expect(await page.getByRole("radio", { name: /^On the server/ }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Start sweep of 2 runs" }).click();
    await expect.poll(() => new URL(page.url()).hash, { timeout: 20_000 }).toMatch(/^#\/sweeps\/browser-sweep-/);
    await waitForSweep(page, 2);
    await expect.poll(() => page.getByTestId("sweep-score-chart").getAttribute("data-points")).toBe("2");
    expect(await page.getByTestId("sweep-findings").textContent()).toMatch(/learningRate (moved|hardly)/);

    await page.reload();
    await expect.poll(() => tableStatuses(page), { timeout: 20_000 }).toEqual(["succeeded", "succeeded"]);
    await expect.poll(() => page.getByTestId("sweep-curves").getAttribute("data-points")).toBe("4");
    await shot(page, "6-local-sweep-1440");

    await go(page, "Runs", "runs");
    const listed = page.getByTestId("sweeps-table").getByRole("row").filter({ hasText: "Sweep of learningRate" });
    await expect.poll(() => listed.count(), { timeout: 20_000 }).toBe(1);
    expect(await listed.textContent()).toContain("2 succeeded");
    expect(await listed.textContent()).toContain("this browser");
    const runRows = page.getByTestId("runs-table").getByRole("row").filter({ hasText: "Sweep of learningRate" });
    await expect.poll(() => runRows.count(), { timeout: 20_000 }).toBe(2);
    page.once("dialog", (d) => void d.accept());
    await listed.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => listed.count(), { timeout: 20_000 }).toBe(0);
    await expect.poll(() => runRows.count(), { timeout: 20_000 }).toBe(0);
    expect(studio.errors, studio.errors.join("\n")).toEqual([]);
  });
});
