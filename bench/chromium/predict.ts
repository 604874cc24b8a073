/**
 * The prediction bench: the studio's training worker in headless Chromium
 * (Wasm) answers draw-to-probabilities requests for the MLP and CNN
 * templates, one page per template and run; reports latency percentiles.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Page } from "playwright-core";
import type { PredictOutcome } from "../browser/protocol";
import { errorMessage, type PredictionRow } from "../results";
import { median } from "../summary";
import { BENCH_PAGE_HTML, bundleBrowserEntry } from "./bundle";
import { BASE_ARGS, DEFAULT_CHROMIUM, firstLine, pageFailure } from "./driver";
import { serveFiles } from "./server";

const PAGE_ENTRY = fileURLToPath(new URL("../browser/predict-entry.ts", import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL("../../packages/web/src/train/worker.ts", import.meta.url));

/** The templates the prediction bench times, in table order. */
export const PREDICT_TEMPLATES = ["mlp", "cnn"] as const;
export type PredictTemplate = (typeof PREDICT_TEMPLATES)[number];

/** Latency targets (p95, ms) from the issue; printed, never asserted in tests. */
export const PREDICT_TARGET_P95_MS: Record<PredictTemplate, number> = { mlp: 20, cnn: 50 };

/** One page's latencies, summarised. */
export interface LatencyStats {
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/** One template's measured pages. */
export interface PredictMeasurement extends LatencyStats {
  template: PredictTemplate;
  /** Wasm threading of the worker: single (dense nets) or pool (conv nets). */
  mode: string;
  /** Predictions measured per page (after the warm-up). */
  count: number;
  /** Median time the page spent turning the drawing into the model's pixels, in ms (part of each latency). */
  preprocessP50Ms: number;
  /** The worker's compiled prediction passes after measuring, and after a model swap; see `PredictOutcome`. */
  predictors: PredictOutcome["predictors"];
}

/** Options of `runPredictBench`. */
export interface PredictOptions {
  templates: readonly PredictTemplate[];
  /** Measured predictions per page. */
  count: number;
  /** Predictions before measuring (compiling, first allocations). */
  warmup: number;
  timeoutMs: number;
  log?: (line: string) => void;
  /** The worker to time (default: the studio's packages/web/src/train/worker.ts), e.g. an older copy to compare with. */
  workerEntry?: string;
}

/** The value at `q` (0–1) of `values` by the nearest-rank method; throws on an empty list. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error("percentile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** p50, p95 and max of `latenciesMs`. */
export function latencyStats(latenciesMs: readonly number[]): LatencyStats {
  return { p50Ms: percentile(latenciesMs, 0.5), p95Ms: percentile(latenciesMs, 0.95), maxMs: Math.max(...latenciesMs) };
}

/** Runs one page per template in a fresh Chromium; throws with the reason when Chromium or a page fails. */
export async function runPredictBench(opts: PredictOptions): Promise<PredictMeasurement[]> {
  const executablePath = process.env.LAYERLAB_CHROMIUM ?? DEFAULT_CHROMIUM;
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath} (install Debian's chromium or set LAYERLAB_CHROMIUM)`);
  }
  const [page, worker] = await Promise.all([
    bundleBrowserEntry(PAGE_ENTRY),
    bundleBrowserEntry(opts.workerEntry ?? WORKER_ENTRY),
  ]);
  const js = "text/javascript; charset=utf-8";
  const server = await serveFiles(
    new Map([
      ["/", { body: BENCH_PAGE_HTML, contentType: "text/html; charset=utf-8" }],
      ["/entry.js", { body: page, contentType: js }],
      ["/worker.js", { body: worker, contentType: js }],
      ["/favicon.ico", { body: "", contentType: "image/x-icon" }],
    ]),
  );
  const browser = await chromium.launch({ executablePath, args: BASE_ARGS, timeout: 60_000 });
  try {
    const out: PredictMeasurement[] = [];
    for (const template of opts.templates) {
      const context = await browser.newContext();
      const tab = await context.newPage();
      try {
        const query = new URLSearchParams({ template, count: String(opts.count), warmup: String(opts.warmup) });
        const outcome = await Promise.race([
          waitForPredictions(tab, opts.timeoutMs),
          pageFailure(tab),
          tab.goto(`${server.url}/?${query}`).then(() => new Promise<never>(() => {})),
        ]);
        if (outcome.status === "failed") throw new Error(`${template}: ${firstLine(outcome.error)}`);
        const stats = latencyStats(outcome.latenciesMs);
        const built = outcome.predictors.afterMeasuring?.built ?? "?";
        opts.log?.(
          `predict ${template} (${outcome.mode}): p50 ${stats.p50Ms.toFixed(1)} ms, p95 ${stats.p95Ms.toFixed(1)} ms, max ${stats.maxMs.toFixed(1)} ms (drawing to pixels: p50 ${percentile(outcome.preprocessMs, 0.5).toFixed(1)} ms); ${built} build(s) for ${outcome.latenciesMs.length} predictions`,
        );
        out.push({
          template,
          mode: outcome.mode,
          count: outcome.latenciesMs.length,
          preprocessP50Ms: percentile(outcome.preprocessMs, 0.5),
          predictors: outcome.predictors,
          ...stats,
        });
      } finally {
        await context.close().catch(() => {});
      }
    }
    return out;
  } catch (err) {
    throw new Error(`the prediction bench could not run: ${errorMessage(err)}`);
  } finally {
    await browser.close().catch(() => {});
    await server.close();
  }
}

async function waitForPredictions(page: Page, timeoutMs: number): Promise<PredictOutcome> {
  const handle = await page.waitForFunction(() => window.__layerlabPredict, undefined, {
    timeout: timeoutMs,
    polling: 250,
  });
  return (await handle.jsonValue()) as PredictOutcome;
}

/** One template's row over several pages: the medians of the pages' p50, p95 and max, and the first page's counts. */
export function predictionRow(pages: readonly PredictMeasurement[]): PredictionRow {
  const first = pages[0];
  if (!first) throw new Error("no prediction pages to summarise");
  const runs = pages.map(({ p50Ms, p95Ms, maxMs }) => ({ p50Ms, p95Ms, maxMs }));
  return {
    template: first.template,
    runtime: "chromium-wasm",
    mode: first.mode,
    count: first.count,
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p95Ms: median(runs.map((r) => r.p95Ms)),
    maxMs: median(runs.map((r) => r.maxMs)),
    targetP95Ms: PREDICT_TARGET_P95_MS[first.template],
    runs,
    predictors: first.predictors,
  };
}
