/**
 * `npx tsx bench/network3d-fps.ts [--dist DIR] [--seconds N] [--screenshots DIR]`:
 * frames per second of the drawing page's 3D network view ("Inside" panel)
 * in headless Chromium at 1440×900, for the MLP and the ConvNN templates.
 * Each model is trained for one short epoch in the page, a square is drawn,
 * then the view auto-rotates (a new frame every animation frame) for N
 * seconds, once while idle and once while the user keeps drawing (each
 * stroke goes through the page's live inference and recolours the scene).
 * Prints one JSON object: the WebGL renderer (SwiftShader when there is no
 * GPU), the machine's CPU count and load, and per model and phase the frames
 * per second and the median main-thread milliseconds of one frame (render)
 * and of recolouring the scene for a new input (update).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium, type Page } from "playwright-core";
import { build, preview } from "vite";

const WEB_ROOT = fileURLToPath(new URL("../packages/web/", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The templates measured, and how many training samples each gets (enough for a model, not for accuracy). */
const MODELS = [
  { template: "mlp", limit: 600 },
  { template: "conv-nn", limit: 300 },
] as const;

/** Trains template `id` for one epoch on `limit` samples in the page and opens the drawing page. */
async function trainAndDraw(page: Page, id: string, limit: number): Promise<void> {
  await page.click('nav a[href="#/build"]');
  await page.click(`[data-testid=template-${id}]`);
  await page.click('nav a[href="#/train"]');
  await page.waitForFunction(() =>
    /Wasm|WebGPU/.test(document.querySelector("[data-testid=backend]")?.textContent ?? ""),
  );
  await page.fill("#cfg-epochs", "1");
  await page.fill("#limit", String(limit));
  await page.click("[data-testid=start]");
  await page.waitForFunction(() => document.querySelector("[data-testid=run-status]")?.textContent === "done", null, {
    timeout: 300_000,
  });
  await page.click('nav a[href="#/draw"]');
  await stroke(page, 0);
  await page.waitForFunction(
    () => Number(document.querySelector("[data-testid=network-3d]")?.getAttribute("data-frames")) > 0,
    null,
    { timeout: 60_000 },
  );
}

/** One closed stroke on the drawing canvas; `k` varies its size so each stroke is a new input. */
async function stroke(page: Page, k: number): Promise<void> {
  const box = (await page.locator("[data-testid=draw-canvas]").boundingBox())!;
  const a = 0.25 + (k % 5) * 0.03;
  const b = 1 - a;
  await page.mouse.move(box.x + box.width * a, box.y + box.height * a);
  await page.mouse.down();
  for (const [fx, fy] of [
    [b, a],
    [b, b],
    [a, b],
    [a, a],
  ] as const) {
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 4 });
  }
  await page.mouse.up();
}

/** What one phase measured: frames per second, the median main-thread ms of a frame, and of the last recolouring. */
interface Phase {
  fps: number;
  renderMs: number;
  updateMs: number;
}

/** Page script: records `data-render-ms` of each new frame in `window.samples` while `window.sampling`. */
const SAMPLER = `(() => {
  const el = document.querySelector("[data-testid=network-3d]");
  window.samples = [];
  window.sampling = true;
  let lastFrame = el.dataset.frames;
  const tick = () => {
    if (!window.sampling) return;
    if (el.dataset.frames !== lastFrame) window.samples.push(Number(el.dataset.renderMs));
    lastFrame = el.dataset.frames;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`;

/** Frames the view renders per second over `seconds`, with `during` running (e.g. drawing) meanwhile. */
async function measure(page: Page, seconds: number, during?: (until: number) => Promise<void>): Promise<Phase> {
  // Samples the view's own timings every animation frame, in the page (a string: tsx would wrap functions in helpers the page lacks).
  await page.evaluate(SAMPLER);
  const frames = () => page.getAttribute("[data-testid=network-3d]", "data-frames").then(Number);
  const before = await frames();
  const start = Date.now();
  const until = start + seconds * 1000;
  if (during) await during(until);
  const left = until - Date.now();
  if (left > 0) await page.waitForTimeout(left);
  const after = await frames();
  const fps = Number((((after - before) * 1000) / (Date.now() - start)).toFixed(1));
  const samples = (await page.evaluate("window.sampling = false, window.samples")) as number[];
  const updateMs = Number(await page.getAttribute("[data-testid=network-3d]", "data-update-ms"));
  return { fps, renderMs: median(samples), updateMs };
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dist: { type: "string" },
      seconds: { type: "string", default: "4" },
      screenshots: { type: "string" },
    },
  });
  const seconds = Number(values.seconds);
  const outDir = values.dist ?? mkdtempSync(join(tmpdir(), "layerlab-fps-build-"));
  if (!values.dist) {
    process.stderr.write("building the studio…\n");
    await build({ root: WEB_ROOT, logLevel: "silent", build: { outDir, emptyOutDir: true } });
  }
  const server = await preview({
    root: WEB_ROOT,
    configFile: join(WEB_ROOT, "vite.config.ts"),
    logLevel: "silent",
    build: { outDir },
    preview: { host: "127.0.0.1", port: 0, open: false },
  });
  const url = server.resolvedUrls?.local[0] ?? "";
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${url}#/build`);
    const results: Record<string, { idle: Phase; drawing: Phase & { strokes: number } }> = {};
    for (const { template, limit } of MODELS) {
      process.stderr.write(`training ${template}…\n`);
      await trainAndDraw(page, template, limit);
      await page.locator("[data-testid=network-3d]").evaluate((el) => el.scrollIntoView({ block: "center" }));
      if (values.screenshots) await page.screenshot({ path: join(values.screenshots, `network3d-${template}.png`) });
      await page.getByLabel("Rotate").check();
      const idle = await measure(page, seconds);
      let strokes = 0;
      const drawing = await measure(page, seconds, async (until) => {
        while (Date.now() < until) await stroke(page, ++strokes);
      });
      await page.getByLabel("Rotate").uncheck();
      results[template] = { idle, drawing: { ...drawing, strokes } };
    }
    const renderer = await page.evaluate(() => {
      const gl = document.createElement("canvas").getContext("webgl2");
      const info = gl?.getExtension("WEBGL_debug_renderer_info");
      return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "unknown";
    });
    const load = loadavg().map((v) => Number(v.toFixed(1)));
    const report = { viewport: "1440x900", seconds, renderer, cpus: cpus().length, loadAverage: load, results };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    if (!values.dist) rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
