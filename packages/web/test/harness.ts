import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeZip } from "@layerlab/export";
import { buildApp as buildServer, loadServerConfig } from "@layerlab/server";
import type { Browser, Locator, Page } from "playwright-core";
import type { PreviewServer } from "vite";
import { afterAll, afterEach, beforeAll, expect, inject } from "vitest";
import { launchTestChromium } from "../../../test-support/chromium";
import { TOUR_SEEN_KEY } from "../src/guide/tourSeen";
import { SHARED_BUILD_KEY } from "./shared-build.global";

/** The web package's folder. */
export const WEB_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Where failing tests leave their screenshots (gitignored). */
export const RESULTS_DIR = fileURLToPath(new URL("../test-results/", import.meta.url));

/**
 * The app's production build, never packages/web/dist (so files running in
 * parallel never empty each other's build). Under the fast-shared project's
 * globalSetup (shared-build.global.ts) every file of a run serves the one
 * build the first of them made, and `remove` leaves it to the globalSetup;
 * elsewhere each call builds into a fresh temporary folder that `remove` deletes.
 */
export async function buildApp(): Promise<{ outDir: string; remove: () => void }> {
  const sharedRoot = inject(SHARED_BUILD_KEY);
  if (sharedRoot) return { outDir: await sharedBuild(sharedRoot), remove: () => {} };
  const outDir = mkdtempSync(join(tmpdir(), "layerlab-web-build-"));
  await buildInto(outDir);
  return { outDir, remove: () => rmSync(outDir, { recursive: true, force: true }) };
}

/**
 * A production build of the studio into `outDir`. Vite loads only here and in
 * startPreview: a file served by the LayerLab server from another file's
 * build never pays for it (more than a second of CPU).
 */
async function buildInto(outDir: string): Promise<void> {
  const { build } = await import("vite");
  await build({ root: WEB_ROOT, logLevel: "silent", build: { outDir, emptyOutDir: true } });
}

/** How long a file waits for another file's build: a cold build under load takes about a minute here. */
const SHARED_BUILD_WAIT_MS = 150_000;

/**
 * The build in `root/dist`: made here when this file is the first to claim
 * `root/lock` (mkdir is atomic across worker processes), else waited for until
 * the builder leaves `root/done`, or `root/failed` with its error.
 */
async function sharedBuild(root: string): Promise<string> {
  const outDir = join(root, "dist");
  const done = join(root, "done");
  const failed = join(root, "failed");
  if (claim(join(root, "lock"))) {
    try {
      await buildInto(outDir);
    } catch (err) {
      writeFileSync(`${failed}.tmp`, err instanceof Error ? err.message : String(err));
      renameSync(`${failed}.tmp`, failed);
      throw err;
    }
    writeFileSync(done, "");
    return outDir;
  }
  const deadline = Date.now() + SHARED_BUILD_WAIT_MS;
  while (!existsSync(done)) {
    if (existsSync(failed))
      throw new Error(`the studio build failed in another test file: ${readFileSync(failed, "utf8")}`);
    if (Date.now() > deadline) {
      throw new Error(
        `no studio build in ${root} after ${SHARED_BUILD_WAIT_MS / 1000} s: did the file building it hang?`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return outDir;
}

/** True when this call created `dir`, false when it already existed. */
function claim(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** Serves a build made by `buildApp` with Vite preview (and its COOP/COEP headers) on a random 127.0.0.1 port. */
export async function startPreview(outDir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const port = 20000 + Math.floor(Math.random() * 40000);
  const { preview } = await import("vite");
  const server: PreviewServer = await preview({
    root: WEB_ROOT,
    configFile: fileURLToPath(new URL("../vite.config.ts", import.meta.url)),
    logLevel: "silent",
    build: { outDir },
    preview: { host: "127.0.0.1", port, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
  return { url, close: () => server.close() };
}

/** Launches the tests' headless Chromium (test-support/chromium.ts says which). */
export const launchChromium = launchTestChromium;

/**
 * A new page that records console errors and uncaught exceptions. Its
 * browser has already dismissed the first-run tour unless `tour` is true
 * (tests of the tour, and of a learner's very first visit).
 */
export async function openPage(
  browser: Browser,
  opts: { width?: number; height?: number; dark?: boolean; tour?: boolean } = {},
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    colorScheme: opts.dark ? "dark" : "light",
  });
  if (!opts.tour) {
    await context.addInitScript((key) => localStorage.setItem(key, "dismissed by the test harness"), TOUR_SEEN_KEY);
  }
  const page = await context.newPage();
  const errors: string[] = [];
  // A failed load names no resource in its text; its location does.
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const where = m.location().url;
    errors.push(m.text().startsWith("Failed to load resource") && where ? `${m.text()}: ${where}` : m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return { page, errors };
}

/** Saves a screenshot named after the test, for a failing test to leave behind. */
export async function screenshotOnFailure(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${name.replace(/[^a-z0-9-]+/gi, "_")}.png`;
  await page.screenshot({ path, fullPage: true }).catch(() => undefined);
  return path;
}

/** What an end-to-end test file drives: the served studio, one page, and what it logged. */
export interface StudioSession {
  /** The studio's origin, without a trailing "/". */
  url: string;
  page: Page;
  /** Console errors and uncaught exceptions of `page`. */
  errors: string[];
  /** The app build being served. */
  outDir: string;
  /** For more pages (another viewport, a share link opened elsewhere). */
  browser: Browser;
}

/**
 * Registers a test file's lifecycle: build the app, serve it — with Vite
 * preview, or with the real LayerLab server on a data folder of its own (and
 * the environment `serverEnv` gives, read when the server starts) —
 * open one page (the first-run tour already dismissed unless `tour`),
 * screenshot failing tests, and tear it all down. The returned
 * object is filled in before the first test runs.
 */
export function serveStudio(
  name: string,
  opts: { server?: boolean; serverEnv?: () => Record<string, string>; tour?: boolean } = {},
): StudioSession {
  const session = {} as StudioSession;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    const built = await buildApp();
    cleanups.push(built.remove);
    session.outDir = built.outDir;
    if (opts.server) {
      const dataDir = mkdtempSync(join(tmpdir(), `layerlab-web-${name}-`));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const config = loadServerConfig({ DATA_DIR: dataDir, PORT: "0", WEB_DIR: built.outDir, ...opts.serverEnv?.() });
      const app = await buildServer({ config, logger: false });
      cleanups.push(() => app.close());
      session.url = await app.listen({ host: "127.0.0.1", port: 0 });
    } else {
      const server = await startPreview(built.outDir);
      cleanups.push(server.close);
      session.url = server.url.replace(/\/$/, "");
    }
    session.browser = await launchChromium();
    cleanups.push(() => session.browser.close());
    Object.assign(session, await openPage(session.browser, { tour: opts.tour ?? false }));
  }, 180_000);
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === "fail" && session.page)
      await screenshotOnFailure(session.page, `${name} ${ctx.task.name}`);
  });
  return session;
}

/** Draws a closed square stroke on the drawing canvas of page `p`. */
export async function drawSquare(p: Page, steps = 4): Promise<void> {
  const box = (await p.locator("[data-testid=draw-canvas]").boundingBox())!;
  await p.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
  await p.mouse.down();
  for (const [fx, fy] of [
    [0.7, 0.3],
    [0.7, 0.7],
    [0.3, 0.7],
    [0.3, 0.3],
  ] as const) {
    await p.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps });
  }
  await p.mouse.up();
}

/** How many pixels of a (WebGL, preserveDrawingBuffer) canvas are not transparent. */
export function paintedPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const copy = document.createElement("canvas");
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext("2d")!;
    ctx.drawImage(c, 0, 0);
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
}

/**
 * Trains the MLP template in page `p` with a learning rate far too high (2
 * epochs on 600 samples, in the browser) and waits until it ends, done or
 * diverged: a run the training doctor has findings about. `p` is on the train page after.
 */
export async function trainWithTooHighLearningRate(p: Page): Promise<void> {
  await p.click('nav a[href="#/build"]');
  await p.click("[data-testid=template-mlp]");
  await p.click('nav a[href="#/train"]');
  await p.fill("#cfg-learningRate", "5");
  await p.fill("#cfg-epochs", "2");
  await p.fill("#limit", "600");
  await p.click("[data-testid=start]");
  await expect.poll(() => p.textContent("[data-testid=run-status]"), { timeout: 150_000 }).toMatch(/done|diverged/);
}

/** A ZIP of `files` (name → bytes), stored uncompressed, for upload tests. */
export function zipOf(files: Record<string, Buffer>): Buffer {
  return Buffer.from(writeZip(Object.entries(files).map(([name, data]) => ({ name, data }))));
}
