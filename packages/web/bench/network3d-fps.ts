/**
 * Frame-rate benchmark of the 3D network view for an MLP 784-128-64-10 on
 * MNIST, in headless Chromium: the studio served by the real LayerLab server,
 * a model trained for one short epoch in the page, then frames counted while
 * the view auto-rotates, idle and while the user draws (live activations).
 *
 *   npx tsx packages/web/bench/network3d-fps.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp, loadServerConfig } from "@layerlab/server";
import type { Page } from "playwright-core";
import { buildApp as buildWeb, launchChromium, openPage } from "../test/harness";

const SECONDS = 5;

async function waitFor(check: () => Promise<boolean>, what: string, ms = 180_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Frames the view rendered, and frames the page had, over `SECONDS` while `during` runs. */
async function measure(page: Page, during: () => Promise<void>): Promise<{ fps: number; rafFps: number }> {
  const view = page.locator("[data-testid=network-3d]");
  const frames0 = Number(await view.getAttribute("data-frames"));
  // A string, not a function: tsx's name helpers do not exist in the page.
  const raf = page.evaluate(`new Promise((resolve) => {
    let n = 0;
    const end = performance.now() + ${SECONDS * 1000};
    const tick = () => { if (performance.now() < end) { n++; requestAnimationFrame(tick); } else resolve(n / ${SECONDS}); };
    requestAnimationFrame(tick);
  })`) as Promise<number>;
  const t0 = Date.now();
  await during();
  const rafFps = await raf;
  const frames1 = Number(await view.getAttribute("data-frames"));
  return { fps: (frames1 - frames0) / ((Date.now() - t0) / 1000), rafFps };
}

const web = await buildWeb();
const dataDir = mkdtempSync(join(tmpdir(), "layerlab-bench-3d-"));
const app = await buildApp({
  config: loadServerConfig({ DATA_DIR: dataDir, PORT: "0", WEB_DIR: web.outDir }),
  logger: false,
});
const url = await app.listen({ host: "127.0.0.1", port: 0 });
const browser = await launchChromium();
try {
  const { page, errors } = await openPage(browser);
  await page.goto(`${url}/#/train`);
  const mnist = page.locator("label.radio", { hasText: /^\s*MNIST/ }).locator("input");
  await waitFor(() => mnist.count().then((n) => n > 0), "the server's MNIST", 30_000);
  await mnist.first().check();
  await page.click('nav a[href="#/build"]');
  await page.click("[data-testid=template-mlp]");
  const params = await page.textContent("[data-testid=total-params]");
  await page.click('nav a[href="#/train"]');
  await waitFor(async () => /Wasm|WebGPU/.test((await page.textContent("[data-testid=backend]")) ?? ""), "the engine");
  await page.fill("#cfg-epochs", "1");
  await page.fill("#limit", "2000");
  await page.click("[data-testid=start]");
  await waitFor(async () => (await page.textContent("[data-testid=run-status]")) === "done", "training");
  await page.click('nav a[href="#/draw"]');
  const box = (await page.locator("[data-testid=draw-canvas]").boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + box.width * fx, box.y + box.height * fy] as const;
  await page.mouse.move(...at(0.5, 0.2));
  await page.mouse.down();
  await page.mouse.move(...at(0.5, 0.8), { steps: 8 });
  await page.mouse.up();
  await waitFor(
    () =>
      page
        .locator("[data-testid=network-3d]")
        .count()
        .then((n) => n > 0),
    "the 3D view",
    30_000,
  );
  await page.locator(".inside-panel label.chip input").check(); // auto-rotate: a render every frame
  const points = await page.evaluate(() => document.querySelectorAll("[data-testid=network-3d] canvas").length);
  const idle = await measure(page, () => new Promise((r) => setTimeout(r, SECONDS * 1000)));
  const drawing = await measure(page, async () => {
    const end = Date.now() + SECONDS * 1000;
    let k = 0;
    await page.mouse.move(...at(0.3, 0.3));
    await page.mouse.down();
    while (Date.now() < end) {
      const a = (k++ / 20) * Math.PI;
      await page.mouse.move(...at(0.5 + 0.25 * Math.cos(a), 0.5 + 0.25 * Math.sin(a)));
    }
    await page.mouse.up();
  });
  console.log(`model: MLP 784-128-64-10 (${params} parameters), ${points} WebGL canvas`);
  console.log(`3D view, rotating, idle:          ${idle.fps.toFixed(1)} fps (page rAF ${idle.rafFps.toFixed(1)})`);
  console.log(
    `3D view, rotating, while drawing: ${drawing.fps.toFixed(1)} fps (page rAF ${drawing.rafFps.toFixed(1)})`,
  );
  if (errors.length) console.log("console errors:", errors);
} finally {
  await browser.close();
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
  web.remove();
}
