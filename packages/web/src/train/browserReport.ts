import {
  type Example,
  exampleIndices,
  type ReportParts,
  type ReportSummary,
  reportHtml,
} from "@layerlab/report/document";
import { diagnose, type TestReport, type TrainEvent, validateConfig } from "@layerlab/spec";
import { type DatasetChoice, datasetFacts } from "../data/datasets";
import { toRgb } from "../data/ImageCanvas";
import { doctorInput } from "./doctorInput";
import { engineLabel, type LocalRun, type RunResults } from "./trainer";

/*
 * The run report for a run trained in this page: the same page the CLI and
 * the server make from a run folder (@layerlab/report/document), gathered
 * from what the page holds. Loaded on demand, so none of it weighs on the
 * first screen.
 */

/** Test images the report shows with their predictions (as the CLI's report). */
const EXAMPLES = 12;
/** How much the example images are enlarged (as the CLI's report). */
const IMAGE_SCALE = 3;

/** What the page knows about where it runs, for the report's resources. */
export interface BrowserFacts {
  /** Logical cores (navigator.hardwareConcurrency), if the browser says. */
  cores: number | null;
  /** The browser's user-agent string. */
  userAgent: string | null;
}

/** The report's file name for run `name`. */
export function reportFileName(name: string): string {
  return `${name}-report.html`;
}

/** The report's parts for a browser run; `imageUrl` turns one test image (`[C,H,W]` uint8) into a data URL. */
export function browserReportParts(
  run: LocalRun,
  imageUrl: (pixels: Uint8Array, shape: readonly number[]) => string,
  facts: BrowserFacts,
  now = new Date(),
): ReportParts {
  const s = run.series;
  const e = s.epoch;
  const end = s.end;
  const results = run.results;
  const config = validateConfig(run.studio.config).config ?? run.studio.config;
  const nullIfNaN = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
  const engine = run.engine ? engineLabel(run.engine) : (s.start?.backend ?? null);
  return {
    summary: summaryOf(run, config.earlyStopping?.metric === "val_acc" ? "max" : "min", now),
    spec: run.studio.spec,
    config: config as Record<string, unknown>,
    metrics: {
      epoch: [...e.epoch],
      train_loss: [...e.trainLoss],
      train_acc: [...e.trainAccuracy],
      val_loss: e.valLoss.map(nullIfNaN),
      val_acc: e.valAccuracy.map(nullIfNaN),
    },
    test: results ? testReportOf(results) : null,
    examples: results
      ? examplesOf(results, imageUrl)
      : `The run ended (${end?.type ?? "still running"}) before its test evaluation, so there are no example predictions.`,
    findings: diagnose(doctorInput(run)),
    resources: {
      trainSeconds: end?.type === "done" ? end.seconds : null,
      peakRssBytes: null,
      backend: engine,
      cpu: `this browser (${engine ?? "engine unknown"}${facts.cores ? `; ${facts.cores} logical cores` : ""})`,
      versions: facts.userAgent,
      epochs: e.epoch.map((epoch, i) => ({ epoch, seconds: e.seconds[i]!, samplesPerSec: e.samplesPerSec[i]! })),
      samplesPerSec: s.lastBatch ? { value: s.lastBatch.samplesPerSec, basis: "last logged batch" } : null,
    },
    source: "a run trained in this browser",
    generatedAt: now.toISOString(),
  };
}

function summaryOf(run: LocalRun, better: "min" | "max", now: Date): ReportSummary {
  const s = run.series;
  const end = s.end;
  const { status, message } = statusOf(end);
  const facts = datasetFacts(run.studio.dataset);
  const done = end?.type === "done" ? end : null;
  return {
    name: run.name,
    id: run.id,
    status,
    message,
    dataset: { name: datasetName(run.studio.dataset), shape: facts.inputShape, classes: facts.classes },
    epochsDone: s.epoch.epoch.length,
    epochs: s.start?.epochs ?? s.epoch.epoch.length,
    bestEpoch: bestEpoch(s.epoch.epoch, better === "max" ? s.epoch.valAccuracy : s.epoch.valLoss, better),
    testAccuracy: run.results?.accuracy ?? done?.testAccuracy ?? null,
    testLoss: run.results?.loss ?? done?.testLoss ?? null,
    createdAt: new Date(s.start?.time ?? now.getTime()).toISOString(),
  };
}

/** The dataset's name (the summary adds its shape and class count). */
function datasetName(choice: DatasetChoice): string {
  return choice.kind === "shapes" ? "synthetic shapes" : choice.id;
}

/** A run's end in run.json's words: its status and why it stopped. */
function statusOf(end: TrainEvent | null): { status: string; message: string | null } {
  if (!end) return { status: "running", message: null };
  switch (end.type) {
    case "done":
      return { status: "succeeded", message: null };
    case "aborted":
      return { status: "aborted", message: end.reason };
    case "error":
      return { status: "failed", message: end.message };
    case "diverged":
      return { status: "diverged", message: end.message };
    default:
      return { status: end.type, message: null };
  }
}

/** The epoch with the best validation value (NaN where an epoch had none), or null without validation. */
function bestEpoch(epochs: number[], values: number[], better: "min" | "max"): number | null {
  let best: number | null = null;
  let bestValue = 0;
  values.forEach((v, i) => {
    if (Number.isNaN(v)) return;
    if (best === null || (better === "min" ? v < bestValue : v > bestValue)) {
      best = epochs[i]!;
      bestValue = v;
    }
  });
  return best;
}

function testReportOf(results: RunResults): TestReport {
  const classes = results.test.classes;
  return {
    loss: results.loss,
    accuracy: results.accuracy,
    count: results.test.count,
    classes,
    confusion: results.confusion,
    perClass: results.perClass.map((c, i) => ({ class: classes[i] ?? String(i), ...c })),
    ...(results.deadUnits && { deadUnits: results.deadUnits }),
  };
}

function examplesOf(
  results: RunResults,
  imageUrl: (pixels: Uint8Array, shape: readonly number[]) => string,
): Example[] | string {
  const { test } = results;
  const available = Math.min(test.count, results.predictions.length);
  if (available === 0) return "The run has no test images.";
  const size = test.shape[0] * test.shape[1] * test.shape[2];
  return exampleIndices(test.labels, available, Math.min(EXAMPLES, available)).map((index) => ({
    dataUrl: imageUrl(test.images.subarray(index * size, (index + 1) * size), test.shape),
    trueClass: test.classes[test.labels[index]!] ?? "?",
    predictedClass: test.classes[results.predictions[index]!] ?? "?",
    // The page keeps each test image's predicted class, not its probabilities.
    probability: null,
  }));
}

/** One channels-first uint8 image as a `data:image/png` URL, enlarged without smoothing (a canvas encodes it). */
export function pngDataUrl(pixels: Uint8Array, shape: readonly number[], scale = IMAGE_SCALE): string {
  const [, height = 1, width = 1] = shape;
  const rgb = toRgb(pixels, 0, shape); // [H·W·3]
  const canvas = document.createElement("canvas");
  canvas.width = width * scale;
  canvas.height = height * scale;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("this browser gives no 2D canvas, which the report needs to draw its example images");
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      const from = (Math.floor(y / scale) * width + Math.floor(x / scale)) * 3;
      const to = (y * canvas.width + x) * 4;
      img.data[to] = rgb[from]!;
      img.data[to + 1] = rgb[from + 1]!;
      img.data[to + 2] = rgb[from + 2]!;
      img.data[to + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return canvas.toDataURL("image/png");
}

/** Builds the report of browser run `run` and downloads it as `<name>-report.html`. */
export function downloadBrowserReport(run: LocalRun): void {
  const html = reportHtml(
    browserReportParts(run, pngDataUrl, {
      cores: navigator.hardwareConcurrency || null,
      userAgent: navigator.userAgent || null,
    }),
  );
  const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = reportFileName(run.name);
  a.click();
  // The click has started the download; the URL is not needed after this task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
