/**
 * Browser measurement: does the training dashboard stay smooth while its
 * charts grow to 50,000 points? Builds a page with the real Dashboard
 * (bench/charts/), appends batch events in headless Chromium at a given rate
 * (one React update per animation frame) and records the frame times.
 *
 *   npx tsx packages/web/bench/charts-50k.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, preview } from "vite";
import { launchChromium, openPage, WEB_ROOT } from "../test/harness";

const root = fileURLToPath(new URL("./charts/", import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), "layerlab-bench-charts-"));
await build({
  root,
  configFile: join(WEB_ROOT, "vite.config.ts"),
  logLevel: "silent",
  build: { outDir, emptyOutDir: true },
});
const server = await preview({
  root,
  configFile: join(WEB_ROOT, "vite.config.ts"),
  logLevel: "silent",
  build: { outDir },
  preview: { host: "127.0.0.1", port: 0, open: false },
});
const browser = await launchChromium();
try {
  const { page, errors } = await openPage(browser);
  await page.goto(server.resolvedUrls!.local[0]!);
  await page.waitForSelector("[data-testid=chart-batch-loss] canvas");
  for (const perFrame of [20, 100]) {
    await page.reload();
    await page.waitForSelector("[data-testid=chart-batch-loss] canvas");
    // A string, not a function: tsx's name helpers do not exist in the page.
    const result = (await page.evaluate(`new Promise((resolve) => {
      const frames = [];
      let last = performance.now();
      const tick = () => {
        const now = performance.now();
        frames.push(now - last);
        last = now;
        const step = window.appendBatches(${perFrame});
        if (step < 50000) requestAnimationFrame(tick);
        else {
          const sorted = frames.slice(1).sort((a, b) => a - b);
          const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
          const tail = frames.slice(-60).sort((a, b) => a - b);
          resolve({ frames: frames.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: sorted[sorted.length - 1],
            tailP50: tail[Math.floor(tail.length / 2)], seconds: frames.reduce((a, b) => a + b, 0) / 1000 });
        }
      };
      requestAnimationFrame(tick);
    })`)) as Record<string, number>;
    const points = await page.getAttribute("[data-testid=chart-batch-loss]", "data-points");
    const f = (v: number) => `${v.toFixed(1)} ms`;
    console.log(
      `${perFrame} events/frame → ${points} points in ${result.seconds!.toFixed(1)} s over ${result.frames} frames: ` +
        `frame time p50 ${f(result.p50!)}, p95 ${f(result.p95!)}, p99 ${f(result.p99!)}, max ${f(result.max!)}; ` +
        `last 60 frames (45k–50k points) p50 ${f(result.tailP50!)}`,
    );
  }
  if (errors.length) console.log("console errors:", errors);
} finally {
  await browser.close();
  await server.close();
  rmSync(outDir, { recursive: true, force: true });
}
