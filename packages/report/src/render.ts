import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { gatherBatch } from "@layerlab/data-core";
import { predict } from "@layerlab/engine";
import {
  defaultDataDir,
  ensureRunCost,
  loadDatasetRef,
  loadRunModel,
  RUN_FILES,
  type RunInfo,
  type RunMetrics,
  readRunEvents,
  readRunInfo,
  readRunJson,
  writeRunFile,
} from "@layerlab/runner";
import {
  type DiagnoseInput,
  type DoctorFinding,
  diagnose,
  historyFromMetrics,
  type TestReport,
  type TrainEvent,
  type TrainEventOf,
} from "@layerlab/spec";
import { exampleIndices, reportHtml } from "./document";
import { imageDataUrl } from "./png";
import type { Example } from "./sections";

/** The report's file name inside a run folder. */
export const REPORT_FILE = "report.html";

/** Options of `renderReport`. */
export interface ReportOptions {
  /** Where built-in and saved datasets are cached (default $LAYERLAB_DATA_DIR or ./data). */
  dataDir?: string;
  /** Test images shown with their predictions (default 12). */
  examples?: number;
  /** A plain-words explanation of the findings (e.g. from `explainWithLlm`) to add under them. */
  explanation?: string | null;
}

/**
 * One self-contained HTML page about a run folder: inline CSS and SVG, images
 * as data URLs, no scripts and no external requests. A missing dataset or
 * test evaluation is said in the page rather than failing it.
 */
export async function renderReport(runDir: string, opts: ReportOptions = {}): Promise<string> {
  const dir = resolve(runDir);
  const info = await readRunInfo(dir);
  const spec = await readRunJson<unknown>(dir, RUN_FILES.spec);
  const config = await readRunJson<Record<string, unknown>>(dir, RUN_FILES.config);
  const metrics = await readRunJson<RunMetrics>(dir, RUN_FILES.metrics);
  const test = existsSync(join(dir, RUN_FILES.test)) ? await readRunJson<TestReport>(dir, RUN_FILES.test) : null;
  const events = existsSync(join(dir, RUN_FILES.events)) ? await readRunEvents(dir) : [];
  const dataset = await loadDatasetRef(info.dataset.ref, opts.dataDir ?? defaultDataDir()).then(
    (d) => d.dataset,
    (err: Error) => err,
  );
  const examples =
    dataset instanceof Error
      ? `The dataset could not be loaded, so there are no example predictions (${dataset.message}).`
      : await examplePredictions(dir, info, dataset, opts.examples ?? 12);
  const classCounts =
    dataset instanceof Error ? undefined : countClasses(dataset.train.labels, info.limit, dataset.classes.length);
  const findings = runFindings(spec, config, metrics, events, {
    ...(classCounts && { classCounts }),
    ...(test?.deadUnits && { deadUnits: test.deadUnits }),
  });
  const epochEvents = events.filter((e): e is TrainEventOf<"epoch"> => e.type === "epoch");
  const env = info.environment;
  return reportHtml({
    summary: { ...info, createdAt: info.timings.createdAt },
    spec,
    config,
    metrics,
    test,
    examples,
    findings,
    explanation: opts.explanation ?? null,
    resources: {
      trainSeconds: info.timings.trainSeconds,
      wallSeconds: info.timings.wallSeconds,
      peakRssBytes: info.resources?.peakRssBytes ?? null,
      backend: backendLabel(env),
      cpu: `${env.cpu} × ${env.cpuCount}`,
      versions: `Node ${env.node}, jax-js ${env.jaxJs}, LayerLab ${env.layerlab}`,
      epochs: epochEvents.map((e) => ({ epoch: e.epoch, seconds: e.seconds, samplesPerSec: e.samplesPerSec })),
    },
    layerCost: info.layerCost ?? null,
    source: dir,
  });
}

/** Renders the report and writes it atomically to `out` (default `<runDir>/report.html`); returns the path. */
export async function writeReport(runDir: string, out?: string, opts: ReportOptions = {}): Promise<string> {
  await ensureRunCost(runDir);
  const html = await renderReport(runDir, opts);
  const path = resolve(out ?? join(runDir, REPORT_FILE));
  await writeRunFile(dirname(path), basename(path), html);
  return path;
}

/** The doctor's findings from what a run folder records. */
export function runFindings(
  spec: unknown,
  config: unknown,
  metrics: RunMetrics,
  events: TrainEvent[],
  extra: Pick<DiagnoseInput, "classCounts" | "deadUnits"> = {},
): DoctorFinding[] {
  const batches = events.flatMap((e) => (e.type === "batch" ? [e.loss] : [])).slice(-50);
  // Every epoch's last step is a logged batch, so the last one counts the steps taken.
  const steps = events.findLast((e): e is TrainEventOf<"batch"> => e.type === "batch")?.step;
  const gradients = events.filter((e): e is TrainEventOf<"gradients"> => e.type === "gradients").slice(-10);
  // The test evaluation's dead units (in `extra`) win over the last epoch's (a run that stopped early has only those).
  const epochDeadUnits = events.findLast(
    (e): e is TrainEventOf<"epoch"> => e.type === "epoch" && !!e.deadUnits,
  )?.deadUnits;
  return diagnose({
    spec,
    config,
    history: historyFromMetrics(metrics),
    batches,
    gradients,
    ...(steps !== undefined && { steps }),
    ...(epochDeadUnits && { deadUnits: epochDeadUnits }),
    ...extra,
    final: { testAccuracy: metrics.test_acc, testLoss: metrics.test_loss },
  });
}

function countClasses(labels: Uint8Array, limit: number | null, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels.subarray(0, limit ?? labels.length)) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

async function examplePredictions(
  dir: string,
  info: RunInfo,
  dataset: {
    shape: readonly number[];
    classes: readonly string[];
    test: { images: Uint8Array; labels: Uint8Array; count: number };
  },
  wanted: number,
): Promise<Example[] | string> {
  const n = Math.min(wanted, dataset.test.count);
  if (n === 0) return "The dataset has no test images.";
  const run = await loadRunModel(dir).catch((err: Error) => err);
  if (run instanceof Error)
    return `The model could not be loaded, so there are no example predictions (${run.message}).`;
  try {
    const indices = Uint32Array.from(exampleIndices(dataset.test.labels, dataset.test.count, n));
    const batch = gatherBatch(dataset.test, dataset.shape, indices, info.normalization);
    const probs = await predict(run.model, run.vars, batch.x, n); // [n · classes]
    const classes = dataset.classes.length;
    const size = dataset.shape.reduce((a, b) => a * b, 1);
    const examples: Example[] = [];
    for (const [k, index] of indices.entries()) {
      const row = Array.from(probs.subarray(k * classes, (k + 1) * classes));
      const predicted = row.indexOf(Math.max(...row));
      examples.push({
        dataUrl: await imageDataUrl(dataset.test.images.subarray(index * size, (index + 1) * size), dataset.shape),
        trueClass: dataset.classes[dataset.test.labels[index]!] ?? "?",
        predictedClass: dataset.classes[predicted] ?? "?",
        probability: row[predicted]!,
      });
    }
    return examples;
  } finally {
    run.dispose();
  }
}

/** The doctor's findings for a run folder, as the report shows them (without the dataset's class counts). */
export async function runFindingsOf(runDir: string): Promise<DoctorFinding[]> {
  const dir = resolve(runDir);
  await readRunInfo(dir);
  const events = existsSync(join(dir, RUN_FILES.events)) ? await readRunEvents(dir) : [];
  const test = existsSync(join(dir, RUN_FILES.test)) ? await readRunJson<TestReport>(dir, RUN_FILES.test) : null;
  return runFindings(
    await readRunJson<unknown>(dir, RUN_FILES.spec),
    await readRunJson<unknown>(dir, RUN_FILES.config),
    await readRunJson<RunMetrics>(dir, RUN_FILES.metrics),
    events,
    test?.deadUnits ? { deadUnits: test.deadUnits } : {},
  );
}

const threadCount = (n: number) => `${n} thread${n === 1 ? "" : "s"}`;

/** "wasm, 2 threads", or "wasm, convolutions on 2 threads, the rest on 1" when the engine's own kernels ran them. */
function backendLabel(env: RunInfo["environment"]): string | null {
  if (env.backend !== "wasm" || !env.wasmThreads) return env.backend;
  if (env.convThreads) return `wasm, convolutions on ${threadCount(env.convThreads)}, the rest on ${env.wasmThreads}`;
  return `wasm, ${threadCount(env.wasmThreads)}`;
}
