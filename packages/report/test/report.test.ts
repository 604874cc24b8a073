import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generateShapes } from "@layerlab/data-core";
import { type DatasetRef, startRun } from "@layerlab/runner";
import { buildTemplate } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchTestChromium } from "../../../test-support/chromium";
import { renderReport } from "../src";

const SECTIONS = [
  "summary",
  "model",
  "cost",
  "hyperparameters",
  "curves",
  "confusion",
  "examples",
  "doctor",
  "resources",
];
const shapesOptions = { size: 12, countPerClass: 30, seed: 3 };
const root = mkdtempSync(join(tmpdir(), "layerlab-report-"));
const runDir = join(root, "run");
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  const dataset = generateShapes(shapesOptions);
  const datasetRef: DatasetRef = { kind: "builtin", name: "shapes", shapes: shapesOptions };
  const spec = buildTemplate(
    "simple-nn",
    { inputShape: [...dataset.shape], classes: [...dataset.classes] },
    { hidden: [16] },
  );
  const summary = await startRun({
    spec,
    config: { epochs: 3, batchSize: 16, learningRate: 0.01, seed: 1 },
    dataset,
    datasetRef,
    dir: runDir,
    logEvery: 2,
  });
  expect(summary.status).toBe("succeeded");
});

describe("renderReport", () => {
  it("has every section, real numbers from the run, inline images, and nothing external", async () => {
    const html = await renderReport(runDir, { dataDir: root });
    for (const id of SECTIONS) expect(html).toContain(`<section id="${id}">`);
    const info = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    expect(info.resources.peakRssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(html).toContain(`${(info.testAccuracy * 100).toFixed(1)}%`);
    expect(html.match(/<img src="data:image\/png;base64,/g)?.length).toBe(12);
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const test = JSON.parse(readFileSync(join(runDir, "test.json"), "utf8"));
    expect(html).toContain(`${test.count} test images`);
    // A dense net trained in this (test) process on one Wasm thread.
    expect(html).toContain("<td>Backend</td><td>wasm, 1 thread</td>");
  });

  it("shows the dead-ReLU finding from the dead-unit shares the runner recorded in test.json", async () => {
    const copy = join(root, "dead-units");
    cpSync(runDir, copy, { recursive: true });
    const test = JSON.parse(readFileSync(join(copy, "test.json"), "utf8"));
    expect(test.deadUnits).toEqual([{ layer: expect.any(Number), fraction: expect.any(Number) }]);
    const before = await renderReport(copy, { dataDir: root });
    test.deadUnits = [{ layer: test.deadUnits[0].layer, fraction: 0.75 }];
    writeFileSync(join(copy, "test.json"), JSON.stringify(test));
    const after = await renderReport(copy, { dataDir: root });
    expect(after).toContain("75.0% of the units of");
    expect(before).not.toContain("75.0% of the units of");
  });

  it("says so when the dataset cannot be loaded, instead of failing", async () => {
    const copy = join(root, "no-dataset");
    cpSync(runDir, copy, { recursive: true });
    const info = JSON.parse(readFileSync(join(copy, "run.json"), "utf8"));
    info.dataset.ref = { kind: "path", path: join(root, "gone.zip") };
    writeFileSync(join(copy, "run.json"), JSON.stringify(info));
    const html = await renderReport(copy, { dataDir: root });
    expect(html).toContain("The dataset could not be loaded");
    expect(html).toContain(`<section id="confusion">`);
  });

  it("renders in headless Chromium without console errors, every section and image shown", async () => {
    const html = await renderReport(runDir, { dataDir: root });
    const browser = await launchTestChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("request", (r) => {
        if (!r.url().startsWith("data:")) requests.push(r.url());
      });
      await page.setContent(html, { waitUntil: "load" });
      for (const id of SECTIONS) expect(await page.locator(`section#${id}`).isVisible()).toBe(true);
      const loaded = await page.$$eval("img", (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
      expect(loaded.length).toBe(12);
      expect(loaded.every((w) => w === 36)).toBe(true); // 12 px × 3
      const svgBox = await page.locator("#curves svg").boundingBox();
      expect(svgBox?.width).toBeGreaterThan(100);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe("layerlab report", () => {
  const cli = resolve(import.meta.dirname, "../../cli/bin/layerlab.js");
  const env = { ...process.env, LAYERLAB_DATA_DIR: root, LAYERLAB_LLM_URL: "" };

  it("writes <dir>/report.html by default and --out elsewhere", () => {
    const r = spawnSync(process.execPath, [cli, "report", runDir], { env, encoding: "utf8", timeout: 120_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(join(runDir, "report.html"));
    const html = readFileSync(join(runDir, "report.html"), "utf8");
    for (const id of SECTIONS) expect(html).toContain(`<section id="${id}">`);
    const out = join(root, "elsewhere.html");
    const s = spawnSync(process.execPath, [cli, "report", runDir, "--out", out], {
      env,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(s.status).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("<!doctype html>");
  });

  it("names the problem and the fix for a folder that is no run", () => {
    const r = spawnSync(process.execPath, [cli, "report", root], { env, encoding: "utf8", timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: .*run\.json does not exist\nhint: /);
  });
});
