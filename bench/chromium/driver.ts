/**
 * Drives Debian's Chromium headless with playwright-core: serves the bundled
 * bench page cross-origin isolated, then runs it once per backend (Wasm, and
 * WebGPU when an adapter exists) and collects what the page reports.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { TEST_CHROMIUM_ARGS } from "../../test-support/chromium";
import type { PageOutcome } from "../browser/protocol";
import { peakRendererRss } from "../peak-rss";
import { type BenchResult, errorMessage, type RuntimeReport } from "../results";
import type { WorkloadName } from "../workloads";
import { BENCH_PAGE_HTML, bundleBrowserEntry } from "./bundle";
import { type BenchServer, serveFiles } from "./server";

/** Where Debian installs Chromium; `LAYERLAB_CHROMIUM` overrides it. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** Chromium flags of every bench browser: the tests' (no sandbox, no network chatter). */
export const BASE_ARGS = TEST_CHROMIUM_ARGS;
// Without a GPU, SwiftShader (CPU-emulated Vulkan) is the adapter; measured here:
// --enable-unsafe-webgpu alone already yields it, the rest makes the choice explicit.
const WEBGPU_ARGS = [
  "--enable-unsafe-webgpu",
  "--enable-unsafe-swiftshader",
  "--use-webgpu-adapter=swiftshader",
  "--enable-features=Vulkan",
];

/** Options of `runChromium`. */
export interface ChromiumOptions {
  workloads: readonly WorkloadName[];
  /** Measured steps per workload; undefined means the workload defaults. */
  steps?: number;
  /** Time limit of each backend's page, in milliseconds. */
  timeoutMs: number;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
  /** The page backends to run (default both): each gives its own runtime row. */
  backends?: readonly PageBackend[];
}

/** The engine backends a bench page can train on. */
export type PageBackend = "wasm" | "webgpu";
const RUNTIME_OF = { wasm: "chromium-wasm", webgpu: "chromium-webgpu" } as const;

/** Runs the workloads in headless Chromium: one report for chromium-wasm and one for chromium-webgpu (those asked for). */
export async function runChromium(opts: ChromiumOptions): Promise<RuntimeReport[]> {
  const log = opts.log ?? (() => {});
  const backends = opts.backends ?? ["wasm", "webgpu"];
  const executablePath = process.env.LAYERLAB_CHROMIUM ?? DEFAULT_CHROMIUM;
  if (!existsSync(executablePath)) {
    const reason = `no Chromium at ${executablePath} (install Debian's chromium or set LAYERLAB_CHROMIUM)`;
    return backends.map((b) => ({ runtime: RUNTIME_OF[b], status: "skipped", reason }));
  }
  let server: BenchServer | undefined;
  let browser: Browser | undefined;
  try {
    const bundle = await bundleBrowserEntry();
    server = await serveFiles(
      new Map([
        ["/", { body: BENCH_PAGE_HTML, contentType: "text/html; charset=utf-8" }],
        ["/blank", { body: "<!doctype html><title>blank</title>", contentType: "text/html; charset=utf-8" }],
        ["/entry.js", { body: bundle, contentType: "text/javascript; charset=utf-8" }],
        ["/favicon.ico", { body: "", contentType: "image/x-icon" }],
      ]),
    );
    browser = await chromium.launch({ executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS], timeout: 60_000 });
    const reports: RuntimeReport[] = [];
    if (backends.includes("wasm")) {
      log(`chromium: ${browser.version()}`);
      reports.push(await runWasmPerWorkload(browser, server.url, opts));
    }
    if (backends.includes("webgpu")) {
      const adapter = await probeWebGpu(browser, server.url);
      log(`chromium: ${browser.version()}, WebGPU adapter: ${adapter.found ? adapter.description : "none"}`);
      if (adapter.found) reports.push(await runBackend(browser, server.url, "webgpu", opts));
      else
        reports.push({ runtime: "chromium-webgpu", status: "skipped", reason: `no WebGPU adapter: ${adapter.reason}` });
    }
    return reports;
  } catch (err) {
    const reason = `Chromium could not run: ${errorMessage(err)}`;
    return backends.map((b) => ({ runtime: RUNTIME_OF[b], status: "failed", reason }));
  } finally {
    await browser?.close().catch(() => {});
    await server?.close();
  }
}

type AdapterProbe = { found: true; description: string } | { found: false; reason: string };

/** Whether `navigator.gpu.requestAdapter()` gives an adapter (needs a secure context: the served page). */
async function probeWebGpu(browser: Browser, url: string): Promise<AdapterProbe> {
  const page = await browser.newPage();
  try {
    await page.goto(`${url}/blank`);
    return await page.evaluate(async (): Promise<AdapterProbe> => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      if (!gpu) return { found: false, reason: "navigator.gpu is missing" };
      const adapter = (await gpu.requestAdapter()) as { info?: { vendor?: string; architecture?: string } } | null;
      if (!adapter) return { found: false, reason: "requestAdapter() returned null" };
      return { found: true, description: `${adapter.info?.vendor ?? "?"} ${adapter.info?.architecture ?? ""}`.trim() };
    });
  } finally {
    await page.close();
  }
}

/**
 * The wasm row, one page per workload: each page picks its own Wasm threading
 * (a dense net on one thread, a conv net on the worker pool), as the studio does.
 */
async function runWasmPerWorkload(browser: Browser, url: string, opts: ChromiumOptions): Promise<RuntimeReport> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  for (const workload of opts.workloads) {
    const report = await runBackend(browser, url, "wasm", { ...opts, workloads: [workload] });
    if (report.status !== "ok") return report;
    results.push(...report.results);
    notes.push(`${workload}: ${report.note}`);
  }
  return { runtime: "chromium-wasm", status: "ok", results, note: notes.join("; ") };
}

/** Loads the bench page for `backend` in a fresh context and waits for its outcome, a page error or the time limit. */
async function runBackend(
  browser: Browser,
  url: string,
  backend: PageBackend,
  opts: ChromiumOptions,
): Promise<RuntimeReport> {
  const runtime = RUNTIME_OF[backend];
  const context = await browser.newContext();
  const page = await context.newPage();
  const started = performance.now();
  try {
    const query = new URLSearchParams({ backend, workloads: opts.workloads.join(",") });
    if (opts.steps !== undefined) query.set("steps", String(opts.steps));
    opts.log?.(`${runtime}: training ${opts.workloads.join(", ")}`);
    const outcome = await Promise.race([
      waitForOutcome(page, opts.timeoutMs),
      pageFailure(page),
      page.goto(`${url}/?${query}`).then(() => new Promise<never>(() => {})),
    ]);
    if (outcome.status === "failed") return { runtime, status: "failed", reason: firstLine(outcome.error) };
    if (!outcome.crossOriginIsolated) {
      return { runtime, status: "failed", reason: "page is not cross-origin isolated (COOP/COEP headers missing)" };
    }
    // The page's renderer process holds the page and its workers (jax-js's Wasm pool) as threads.
    const peakRssBytes = peakRendererRss();
    const results: BenchResult[] = outcome.results.map((r) => ({
      workload: r.workload as WorkloadName,
      runtime,
      samplesPerSec: r.samplesPerSec,
      ...(peakRssBytes !== null && { peakRssBytes }),
    }));
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    const note = `${outcome.workersStarted} workers, hardwareConcurrency ${outcome.hardwareConcurrency}, ${seconds} s`;
    opts.log?.(`${runtime}: done (${note})`);
    return { runtime, status: "ok", results, note };
  } catch (err) {
    return { runtime, status: "failed", reason: errorMessage(err) };
  } finally {
    await context.close().catch(() => {});
  }
}

/** Resolves with the page's outcome once it has one; rejects after `timeoutMs`. */
async function waitForOutcome(page: Page, timeoutMs: number): Promise<PageOutcome> {
  try {
    const handle = await page.waitForFunction(() => window.__layerlabBench, undefined, {
      timeout: timeoutMs,
      polling: 250,
    });
    return (await handle.jsonValue()) as PageOutcome;
  } catch (err) {
    if (err instanceof Error && err.name === "TimeoutError") {
      throw new Error(`no result within ${Math.round(timeoutMs / 1000)} s (raise --timeout or lower --steps)`);
    }
    throw err;
  }
}

/** Rejects on the first uncaught page error, console error or crash, so a broken page fails fast. */
export function pageFailure(page: Page): Promise<never> {
  return new Promise<never>((_, reject) => {
    page.on("pageerror", (err) => reject(new Error(`page error: ${err.message}`)));
    page.on("crash", () => reject(new Error("the page crashed (out of memory?)")));
    page.on("console", (msg) => {
      if (msg.type() === "error") reject(new Error(`console error: ${firstLine(msg.text())}`));
    });
  });
}

/** The first line of `text`, at most 500 characters. */
export function firstLine(text: string | undefined): string {
  return (text ?? "unknown error").split("\n")[0]!.slice(0, 500);
}
