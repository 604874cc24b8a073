import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { REPORT_SECTIONS } from "@layerlab/report/document";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { drawSquare, openPage, serveStudio } from "./harness";

/*
 * End to end in headless Chromium against the production build served by
 * Vite preview (cross-origin isolated, as the server must serve it). The
 * tests run in order on one page: the training ones leave runs behind that
 * the drawing and compare tests use.
 */

const studio = serveStudio("studio");
let page: Page;
let errors: string[];
beforeAll(() => {
  ({ page, errors } = studio);
});

/** Moves within the app as a user does, by its navigation: the page (and its runs in memory) stays. */
async function go(p: Page, route: string): Promise<void> {
  await p.click(`nav a[href="#/${route}"]`);
  await expect.poll(() => new URL(p.url()).hash).toBe(`#/${route}`);
}

async function paramsShown(p: Page): Promise<string> {
  return (await p.textContent("[data-testid=total-params]")) ?? "";
}

describe("studio in headless Chromium", () => {
  it("builds from a template, shows a validation error on the layer and fixes it in one click", async () => {
    await page.goto(`${studio.url}#/build`);
    await page.click("[data-testid=template-mlp]");
    await expect.poll(() => page.textContent("[data-testid=spec-status]")).toContain("ready to train");
    expect(await paramsShown(page)).toBe("108,931"); // 784·128+128 + 128·64+64 + 64·3+3
    // Removing the flatten feeds an image into a dense layer.
    await page.click('[aria-label="Remove layer 1"]');
    const problem = page.locator("[data-testid=layer-0] [data-testid=problem]");
    await expect.poll(() => problem.count()).toBeGreaterThan(0);
    expect(await problem.first().textContent()).toMatch(/flatten/i);
    expect(await page.textContent("[data-testid=spec-status]")).toContain("error");
    await problem.first().locator("button.fix").click();
    await expect.poll(() => page.textContent("[data-testid=spec-status]")).toContain("ready to train");
    expect(await page.textContent("[data-testid=layer-0] .layer-kind")).toBe("flatten");
    expect(await paramsShown(page)).toBe("108,931");
    // Undo brings the error back; redo fixes it again.
    await page.click("text=Undo");
    await expect.poll(() => page.textContent("[data-testid=spec-status]")).toContain("error");
    await page.click("text=Redo");
    await expect.poll(() => page.textContent("[data-testid=spec-status]")).toContain("ready to train");
  });

  it("adds layers by drag and drop and by keyboard, and round-trips the spec JSON through export and import", async () => {
    const layers = page.locator("ol.layers > li[data-testid^=layer-]");
    const before = await layers.count();
    // A chip dropped on a layer goes in before it.
    await page.dragAndDrop("[data-testid=chip-dropout]", "[data-testid=layer-1]");
    await expect.poll(() => layers.count()).toBe(before + 1);
    expect(await page.textContent("[data-testid=layer-1] .layer-kind")).toBe("dropout");
    // A layer dragged onto another moves there.
    await page.dragAndDrop("[data-testid=layer-1] .drag-handle", "[data-testid=layer-2]");
    await expect.poll(() => page.textContent("[data-testid=layer-2] .layer-kind")).toBe("dropout");
    expect(await page.textContent("[data-testid=layer-1] .layer-kind")).toBe("dense");
    // Keyboard only: focus a chip and press Enter.
    await page.focus("[data-testid=chip-activation]");
    await page.keyboard.press("Enter");
    await expect.poll(() => layers.count()).toBe(before + 2);
    // A new layer goes in before the output layer, which stays last.
    expect(await layers.nth(before).locator(".layer-kind").textContent()).toBe("activation");
    expect(await layers.last().locator(".layer-kind").textContent()).toBe("dense");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Export spec JSON")]);
    const path = (await download.path())!;
    const exported = JSON.parse(readFileSync(path, "utf8")) as { layers: { kind: string }[] };
    expect(exported.layers.map((l) => l.kind)).toEqual(["flatten", "dense", "dropout", "dense", "activation", "dense"]);
    for (let i = 0; i < 3; i++) await page.click("text=Undo");
    await expect.poll(() => layers.count()).toBe(before);
    await page.setInputFiles("input[type=file][accept*=json]", path);
    await expect.poll(() => layers.count()).toBe(before + 2);
    expect(await page.textContent(".stack")).toContain("Imported");
    // A file that is no spec is refused in words, and the model stays.
    await page.setInputFiles("input[type=file][accept*=json]", {
      name: "notes.json",
      mimeType: "application/json",
      buffer: Buffer.from("[1, 2]"),
    });
    await expect.poll(() => page.textContent(".stack")).toContain("Could not import notes.json");
    expect(await layers.count()).toBe(before + 2);
    await page.click("text=Undo");
    await expect.poll(() => layers.count()).toBe(before);
    expect(await paramsShown(page)).toBe("108,931");
  });

  it("switches between light and dark themes and fits a 375 px wide phone without sideways scrolling", async () => {
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const first = await page.getAttribute("html", "data-theme");
    const colour = await background();
    await page.click('header button[aria-label^="Switch to"]');
    await expect.poll(() => page.getAttribute("html", "data-theme")).not.toBe(first);
    expect(await background()).not.toBe(colour);
    await page.click('header button[aria-label^="Switch to"]');
    await expect.poll(() => page.getAttribute("html", "data-theme")).toBe(first);

    // This page narrowed to the phone's width, moving by its navigation: a fresh page would load the app and
    // draw the shapes for its train page again, seconds of CPU that show no other layout.
    const size = page.viewportSize()!;
    await page.setViewportSize({ width: 375, height: 740 });
    try {
      for (const route of ["build", "train", "draw", "runs", "compare"]) {
        await go(page, route);
        await page.waitForSelector("main, .page");
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `#/${route} scrolls sideways by ${overflow} px`).toBeLessThanOrEqual(0);
      }
    } finally {
      await page.setViewportSize(size);
    }
    await go(page, "build");
  });

  it("round-trips the whole setup through a share link", async () => {
    await page.fill("#layer-1-units", "77");
    const params = await paramsShown(page);
    expect(params).toBe("65,632"); // 784·77+77 + 77·64+64 + 64·3+3
    await go(page, "train");
    const before = page.url();
    await page.fill("#cfg-batchSize", "32");
    // The address bar follows every edit.
    await expect.poll(() => page.url()).not.toBe(before);
    const link = page.url();
    expect(new URL(link).searchParams.get("setup")).toBeTruthy();
    const other = await openPage(studio.browser, { width: 390, height: 800 });
    await other.page.goto(link);
    expect(await other.page.inputValue("#cfg-batchSize")).toBe("32");
    await go(other.page, "build");
    expect(await other.page.inputValue("#layer-1-units")).toBe("77");
    expect(await paramsShown(other.page)).toBe(params);
    expect(other.errors).toEqual([]);
    await other.page.context().close();
  });

  it("chooses the input normalisation with the data and shows the mean/std it gives", async () => {
    const stats = page.locator("[data-testid=normalization-stats]");
    const perChannel = await stats.textContent();
    expect(perChannel).toMatch(/mean 0\.\d{3}, std 0\.\d{3}/);
    expect(perChannel).not.toContain("mean 0.000, std 1.000");
    await page.selectOption("#cfg-normalization", "none");
    await expect.poll(() => stats.textContent()).toContain("mean 0.000, std 1.000");
    expect(new URL(page.url()).searchParams.get("setup")).toBeTruthy();
    await page.selectOption("#cfg-normalization", "per-channel");
    await expect.poll(() => stats.textContent()).toBe(perChannel);
  });

  it("trains one epoch in the browser on a small subset and the charts move", { timeout: 180_000 }, async () => {
    await expect.poll(() => page.textContent("[data-testid=backend]"), { timeout: 30_000 }).toMatch(/Wasm|WebGPU/);
    await page.fill("#cfg-epochs", "1");
    // 600 samples in batches of 32 still log several batch losses (one every 5 steps).
    await page.fill("#limit", "600");
    await page.click("[data-testid=start]");
    const points = () => page.getAttribute("[data-testid=chart-batch-loss]", "data-points").then(Number);
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 120_000 }).toBe("done");
    expect(await points()).toBeGreaterThan(1);
    const accuracy = await page.textContent("[data-testid=test-accuracy]");
    expect(Number.parseFloat(accuracy ?? "")).toBeGreaterThan(0);
    // Every uPlot canvas has drawn something.
    expect(await page.locator("[data-testid=chart-batch-loss] canvas").count()).toBe(1);
  });

  it("runs a dense model's Wasm kernels on one thread in the cross-origin-isolated page", async () => {
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    const engine = (await page.textContent("[data-testid=run-engine]")) ?? "";
    // Headless Chromium here has no WebGPU; where it has, the thread count does not apply.
    if (engine !== "WebGPU") expect(engine).toBe("Wasm, 1 thread");
  });

  it("exports the browser run's model.onnx from its results, built in the page", { timeout: 60_000 }, async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 30_000 }),
      page.click("[data-testid='export-model.onnx']"),
    ]);
    expect(download.suggestedFilename()).toBe("model.onnx");
    const bytes = readFileSync((await download.path())!);
    // ModelProto's field 1 (ir_version, varint) comes first: tag (1 << 3) | 0.
    expect(bytes[0]).toBe(0x08);
    const text = bytes.toString("latin1");
    expect(text).toContain("input");
    expect(text).toContain("probabilities");
    expect(await page.locator(".results .problem.error").count()).toBe(0);
  });

  it("downloads the browser run's report, built in the page, which opens without errors", {
    timeout: 60_000,
  }, async () => {
    const shown = Number.parseFloat((await page.textContent("[data-testid=test-accuracy]")) ?? "");
    const cells = await page.locator("table.confusion td button").allTextContents();
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 30_000 }),
      page.click("[data-testid=download-report]"),
    ]);
    // Named like the server names runs: architecture · dataset · optimizer and rate · batch size.
    expect(download.suggestedFilename()).toMatch(
      /^MLP [\d-]+ · shapes · \w+ [\de.-]+ · bs \d+( · dropout [\d.]+)?-report\.html$/,
    );
    const html = readFileSync((await download.path())!, "utf8");
    for (const id of REPORT_SECTIONS) expect(html).toContain(`<section id="${id}">`);
    // The page shows two decimals, the report one.
    const reported = Number(/<td>Test accuracy<\/td><td>([\d.]+)%<\/td>/.exec(html)?.[1]);
    expect(Math.abs(reported - shown)).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(html).toContain(`${cells.reduce((a, c) => a + Number(c), 0)} test images`);
    expect(html).toContain("from a run trained in this browser");
    expect(html).not.toMatch(/(src|href)="(?!data:)/);
    const viewer = await openPage(studio.browser);
    const requests: string[] = [];
    viewer.page.on("request", (r) => {
      if (!r.url().startsWith("data:")) requests.push(r.url());
    });
    await viewer.page.setContent(html, { waitUntil: "load" });
    for (const id of REPORT_SECTIONS) expect(await viewer.page.locator(`section#${id}`).isVisible()).toBe(true);
    const widths = await viewer.page.$$eval("img", (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(widths).toHaveLength(12);
    expect(widths.every((w) => w === 28 * 3)).toBe(true); // the shapes are 28 px, enlarged 3×
    const shownClasses = await viewer.page.$$eval("img", (imgs) => new Set(imgs.map((i) => i.alt)).size);
    expect(shownClasses).toBe(3); // circles, squares and triangles
    expect(await viewer.page.locator("#curves svg circle").count()).toBe(4); // one epoch: a train and a validation marker per panel
    // The page keeps each epoch's time and throughput, so the resources table has them.
    const epochRow = await viewer.page.locator("#resources table").last().locator("tbody tr").first().allTextContents();
    expect(epochRow[0]).toMatch(/^1\s*[\d.]+\s*[\d,]+$/);
    expect(viewer.errors).toEqual([]);
    expect(requests).toEqual([]);
    await viewer.page.context().close();
  });

  it("aborts a second run", { timeout: 120_000 }, async () => {
    // Enough epochs that the run cannot end before the click: a dense net on one Wasm thread does 50 in a few seconds.
    await page.fill("#cfg-epochs", "2000");
    await page.fill("#limit", "");
    await page.click("[data-testid=start]");
    await expect
      .poll(() => page.getAttribute("[data-testid=chart-batch-loss]", "data-points").then(Number), { timeout: 60_000 })
      .toBeGreaterThan(0);
    await page.click("[data-testid=abort]");
    await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 30_000 }).toBe("aborted");
    expect(await page.isDisabled("[data-testid=start]")).toBe(false);
  });

  it("draws on the canvas and gets probabilities from the in-page model", async () => {
    await go(page, "draw");
    await drawSquare(page, 6);
    const prediction = page.locator("[data-testid=prediction]").first();
    await expect.poll(() => prediction.count(), { timeout: 30_000 }).toBe(1);
    expect(["circle", "square", "triangle"]).toContain(await prediction.textContent());
    const percents = await page
      .locator("[data-testid=probabilities] li span:last-child")
      .first()
      .evaluate((el) => el.closest("ul")!.textContent);
    const sum = [...(percents ?? "").matchAll(/([\d.]+)%/g)].reduce((s, m) => s + Number(m[1]), 0);
    expect(sum).toBeGreaterThan(99);
    expect(sum).toBeLessThan(101);
  });

  it("trains two configurations side by side on the same data", { timeout: 180_000 }, async () => {
    await go(page, "train");
    await page.fill("#cfg-epochs", "2");
    await page.fill("#limit", "1200");
    await page.click("[data-testid=start]");
    await page.fill("#cfg-learningRate", "0.003");
    await expect.poll(() => page.textContent("[data-testid=start]")).toBe("Start side by side");
    await page.click("[data-testid=start]");
    const options = page.locator("#run-select option");
    await expect
      .poll(() => options.allTextContents(), { timeout: 120_000 })
      .toEqual([
        expect.stringContaining("(done)"),
        expect.stringContaining("(aborted)"),
        expect.stringContaining("(done)"),
        expect.stringContaining("(done)"),
      ]);
  });

  it("compares two runs: overlaid curves and a table of their differences", async () => {
    await go(page, "compare");
    await page.waitForSelector("[data-testid=config-diff]");
    const diff = await page.textContent("[data-testid=config-diff]");
    // The last two runs (side by side) differ only in their learning rate.
    expect(diff).toContain("config.learningRate");
    expect(diff).not.toContain("config.epochs");
    expect(await page.locator("[data-testid=compare-charts] .chart").count()).toBe(3);
  });

  it("trains a conv model's convolutions on the engine's own kernels, a thread per core", {
    timeout: 180_000,
  }, async () => {
    await go(page, "build");
    await page.click("[data-testid=template-conv-nn]");
    await expect.poll(() => page.textContent("[data-testid=spec-status]")).toContain("ready to train");
    await go(page, "train");
    await page.fill("#cfg-epochs", "1");
    // A conv net's steps are the dearest here: few samples, as only the pool's badge and a finished run matter.
    await page.fill("#limit", "100");
    await page.click("[data-testid=start]");
    // Starting is asynchronous (the run is registered first): until the dashboard shows the new CNN run,
    // the badge is the previous run's.
    await expect.poll(() => page.textContent("#dash-h"), { timeout: 30_000 }).toMatch(/^CNN /);
    const engine = page.locator("[data-testid=run-engine]");
    await expect
      .poll(() => engine.textContent(), { timeout: 60_000 })
      .toMatch(/^(WebGPU|Wasm, convolutions on \d+ threads?, the rest on \d+)$/);
    const text = (await engine.textContent()) ?? "";
    // Its conv + pool blocks train on the engine's own kernels, a thread per core; its dense head on one.
    const convThreads = Number(/convolutions on (\d+) thread/.exec(text)?.[1] ?? Number.NaN);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    if (text !== "WebGPU") {
      expect(cores).toBeGreaterThan(1);
      expect(convThreads).toBe(cores);
      expect(text).toMatch(/the rest on 1$/);
    }
    await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 150_000 }).toBe("done");
  });

  it("keeps the first screen's JavaScript under 300 KB gzipped, with the engine in its own lazy chunk", () => {
    const assets = join(studio.outDir, "assets");
    const html = readFileSync(join(studio.outDir, "index.html"), "utf8");
    const entry = [...html.matchAll(/src="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!);
    expect(entry).toHaveLength(1);
    const firstScreen = gzipSync(readFileSync(join(assets, entry[0]!))).length;
    expect(firstScreen).toBeLessThan(300 * 1024);
    // A message from the engine's train loop marks where the engine landed.
    const engineMarker = "the saved optimizer state does not fit this run";
    // worker.ts only picks the Wasm threading mode; the engine loads after it, in its own chunk.
    const worker = readdirSync(assets).find((f) => f.startsWith("engineWorker-"))!;
    expect(readFileSync(join(assets, worker), "utf8")).toContain(engineMarker);
    expect(readFileSync(join(assets, entry[0]!), "utf8")).not.toContain(engineMarker);
    const workerEntry = readdirSync(assets).find((f) => f.startsWith("worker-"))!;
    expect(readFileSync(join(assets, workerEntry), "utf8")).not.toContain(engineMarker);
    // The run report's builder loads on its button's first click, not with the first screen.
    const reportMarker = "a run trained in this browser";
    expect(readFileSync(join(assets, entry[0]!), "utf8")).not.toContain(reportMarker);
    expect(readdirSync(assets).some((f) => readFileSync(join(assets, f), "utf8").includes(reportMarker))).toBe(true);
  });

  it("logs no console errors", () => {
    expect(errors).toEqual([]);
  });
});
