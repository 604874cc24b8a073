import { mkdirSync } from "node:fs";
import { analyzeSpec, buildTemplate, formatBytes, formatCount } from "@layerlab/spec";
import type { Locator, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { serveStudio } from "./harness";

/*
 * The builder's cost per layer, in headless Chromium against the production
 * build: the view lists every layer of the MLP template with the spec's
 * parameters, activation memory and FLOPs; "Measure on this device" times
 * each layer in the engine's worker (the page keeps answering meanwhile) and
 * shows forward and backward milliseconds, shares and the inference latency.
 * Screenshots go to /tmp/shots/cost/ at 1440×900 and 375×740.
 */

const SHOTS = "/tmp/shots/cost";
const studio = serveStudio("layer-cost");
let page: Page;
beforeAll(() => {
  ({ page } = studio);
  mkdirSync(SHOTS, { recursive: true });
});

/** The text of every cell of the cost table's body rows, row by row. */
function tableCells(table: Locator): Promise<string[][]> {
  return table
    .locator("tbody tr")
    .evaluateAll((rows) =>
      rows.map((r) => Array.from(r.querySelectorAll("th, td")).map((c) => (c.textContent ?? "").trim())),
    );
}

describe("the builder's cost per layer", () => {
  it("shows the spec's counts, measures every layer on this device, and fits a phone", {
    timeout: 240_000,
  }, async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${studio.url}/#/build`);
    await page.getByRole("button", { name: "MLP", exact: true }).click();
    const panel = page.getByRole("region", { name: "Cost per layer" });
    await panel.getByRole("button", { name: "Show" }).click();
    const table = panel.getByRole("table");
    // The static columns are the spec's analysis of the template the page built.
    const data = { inputShape: [1, 28, 28], classes: ["circle", "square", "triangle"] };
    const analysis = analyzeSpec(buildTemplate("mlp", data));
    await expect.poll(() => table.locator("tbody tr").count()).toBe(analysis.layers.length);
    const before = await tableCells(table);
    expect(before.map((row) => row.slice(0, 4))).toEqual(
      analysis.layers.map((l) => [
        `${l.kind} #${l.index + 1}`,
        formatCount(l.params),
        formatBytes(l.activationBytes),
        formatCount(l.flops),
      ]),
    );
    expect(before.every((row) => row[4] === "—" && row[5] === "—")).toBe(true);

    await panel.getByRole("button", { name: "Measure on this device" }).click();
    // The page stays responsive while the worker measures: the view folds and unfolds.
    await expect.poll(() => panel.getByRole("status").textContent(), { timeout: 30_000 }).toMatch(/Measuring/);
    await panel.getByRole("button", { name: "Hide" }).click();
    await panel.getByRole("button", { name: "Show" }).click();
    await expect
      .poll(() => panel.getByTestId("inference-latency").textContent(), { timeout: 180_000 })
      .toMatch(/batch 1: median [\d.<]+ ms, p95 [\d.<]+ ms · batch 64: median [\d.<]+ ms, p95 [\d.<]+ ms/);
    expect(await panel.getByRole("alert").count()).toBe(0);
    expect(await panel.getByText(/Measured on (Wasm, \d+ threads?|WebGPU)/).count()).toBe(1);
    expect(await panel.getByText("Share of a training step").count()).toBe(1);
    const after = await tableCells(table);
    for (const [i, row] of after.entries()) {
      // Forward and backward ms of each layer (none for the flatten on the data), and its share of the step.
      expect(row[4], row[0]).toMatch(/^(<0\.01|\d+(\.\d+)?)$/);
      expect(row[5], row[0]).toMatch(i === 0 ? /^—$/ : /^(<0\.01|\d+(\.\d+)?)$/);
      expect(row[6], row[0]).toMatch(/^\d+%$/);
    }
    const shares = after.map((row) => Number(row[6]!.replace("%", "")));
    expect(Math.abs(shares.reduce((a, b) => a + b, 0) - 100)).toBeLessThanOrEqual(2);
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/mlp-measured-1440.png` });

    // Editing the model makes the times stale: they are hidden until measured again.
    await page.getByRole("button", { name: "CNN", exact: true }).click();
    await expect.poll(() => panel.getByText(/model changed since it was measured/).count()).toBe(1);
    await expect
      .poll(() => table.locator("tbody tr").count())
      .toBe(analyzeSpec(buildTemplate("cnn", data)).layers.length);
    expect((await tableCells(table)).every((row) => row[4] === "—")).toBe(true);
    await page.getByRole("button", { name: "Undo" }).click();
    await expect.poll(() => panel.getByTestId("inference-latency").count()).toBe(1);

    // A phone: the table scrolls inside itself, the page does not scroll sideways.
    await page.setViewportSize({ width: 375, height: 740 });
    await panel.scrollIntoViewIfNeeded();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${SHOTS}/mlp-measured-375.png` });
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(studio.errors).toEqual([]);
  });
});
