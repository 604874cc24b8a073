/**
 * `npm run bench`: trains the MNIST MLP and CNN (batch 64, Adam) in every
 * runtime available here — the engine in Node (Wasm), in headless Chromium
 * (multithreaded Wasm, and WebGPU when an adapter exists), and PyTorch on the
 * CPU with 2 threads when a Python has torch — one after another, interleaved
 * (ours, PyTorch, ours, PyTorch, … `--pairs` rounds per workload), then prints
 * a table with the median rates and median (min–max) ratios to PyTorch, or
 * with `--json` exactly one JSON object (`BenchOutput`) on stdout (progress
 * goes to stderr). No ratio is given against a PyTorch on the reference BLAS.
 */
import { parseArgs } from "node:util";
import type { PredictMeasurement } from "./chromium/predict";
import { type GroupRunner, runInterleaved } from "./interleave";
import { type BenchSummary, errorMessage, type PredictionRow, unfairPeerReason } from "./results";
import { toJsonOutput } from "./summary";
import { formatTable } from "./table";
import { parseSteps, parseWorkloadList, WORKLOAD_NAMES, type WorkloadName } from "./workloads";

// "chromium" runs both page backends; "chromium-wasm" or "chromium-webgpu" just one. "server" trains each
// workload as a job of the real server on MNIST; "predict" times the studio's draw-to-probabilities path.
const RUNTIME_GROUPS = [
  "node",
  "server",
  "chromium",
  "chromium-wasm",
  "chromium-webgpu",
  "pytorch",
  "predict",
] as const;
type RuntimeGroup = (typeof RUNTIME_GROUPS)[number];

/** Pairs per workload unless `--pairs` says otherwise: the fewest that give a median and a spread. */
const DEFAULT_PAIRS = 3;
/** Measured predictions per page of `predict`, and those before them (compiling, first allocations). */
const DEFAULT_PREDICTIONS = 200;
const PREDICT_WARMUP = 20;

const USAGE = `usage: npm run bench -- [--json] [--only ${RUNTIME_GROUPS.join(",")}] [--pairs N] [--steps N] [--workloads ${WORKLOAD_NAMES.join(",")}] [--predictions N] [--timeout SECONDS]
  --json       print only {"pairs", "peer", "results": [...], "predictions"?: [...]} on stdout
  --only       runtimes to run (default: all available; chromium is both chromium-wasm and chromium-webgpu;
               server trains on MNIST as a server job; predict times draw-to-probabilities in Chromium)
  --pairs      interleaved rounds (each runtime, then PyTorch) per workload, and predict pages per template (default ${DEFAULT_PAIRS})
  --predictions  measured predictions per predict page (default ${DEFAULT_PREDICTIONS}, after ${PREDICT_WARMUP} unmeasured)
  --steps      measured training steps per workload (default: 400 MLP, 60 CNN; warm-up excluded)
  --workloads  workloads to run (default: both)
  --timeout    time limit per runtime and run in seconds (default 600)`;

interface BenchOptions {
  json: boolean;
  groups: RuntimeGroup[];
  workloads: WorkloadName[];
  pairs: number;
  steps?: number;
  predictions: number;
  timeoutMs: number;
}

/** Parses the command line; throws an error that names the bad flag and the fix. */
function parseOptions(argv: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: "boolean", default: false },
      only: { type: "string" },
      steps: { type: "string" },
      pairs: { type: "string" },
      workloads: { type: "string" },
      predictions: { type: "string" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const groups = values.only === undefined ? [...RUNTIME_GROUPS] : parseGroups(values.only);
  const timeout = values.timeout === undefined ? 600 : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new Error(`--timeout must be a positive number of seconds, got '${values.timeout}'`);
  }
  const pairs = values.pairs === undefined ? DEFAULT_PAIRS : Number(values.pairs);
  if (!Number.isInteger(pairs) || pairs < 1 || pairs > 100) {
    throw new Error(`--pairs must be a whole number from 1 to 100, got '${values.pairs}'`);
  }
  const predictions = values.predictions === undefined ? DEFAULT_PREDICTIONS : Number(values.predictions);
  if (!Number.isInteger(predictions) || predictions < 1 || predictions > 10_000) {
    throw new Error(`--predictions must be a whole number from 1 to 10000, got '${values.predictions}'`);
  }
  return {
    json: values.json,
    groups,
    pairs,
    predictions,
    workloads: values.workloads === undefined ? [...WORKLOAD_NAMES] : parseWorkloadList(values.workloads),
    ...(values.steps === undefined ? {} : { steps: parseSteps(values.steps) }),
    timeoutMs: timeout * 1000,
  };
}

function parseGroups(text: string): RuntimeGroup[] {
  const groups = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const g of groups) {
    if (!(RUNTIME_GROUPS as readonly string[]).includes(g)) {
      throw new Error(`--only: unknown runtime '${g}': use a comma-separated list of ${RUNTIME_GROUPS.join(", ")}`);
    }
  }
  if (groups.length === 0) throw new Error(`--only needs at least one of ${RUNTIME_GROUPS.join(", ")}`);
  return groups as RuntimeGroup[];
}

/** Runs the chosen runtimes one at a time (they would compete for the 2 cores if run together), interleaved. */
async function runBench(opts: BenchOptions, log: (line: string) => void): Promise<BenchSummary> {
  // Each runtime's module is loaded only when asked for (Playwright alone takes a second to load), so a
  // bad flag is refused, and a run of some runtimes starts, without loading the others.
  const common = (workload: WorkloadName) => ({
    workloads: [workload],
    timeoutMs: opts.timeoutMs,
    log,
    ...(opts.steps ? { steps: opts.steps } : {}),
  });
  const ours: GroupRunner[] = [];
  if (opts.groups.includes("node")) {
    const { runNode } = await import("./node-runtime");
    ours.push(async (w) => [await runNode(common(w))]);
  }
  if (opts.groups.includes("server")) {
    const { runServerJob } = await import("./server-job");
    ours.push(async (w) => [await runServerJob(common(w))]);
  }
  const backends = (["wasm", "webgpu"] as const).filter(
    (b) => opts.groups.includes("chromium") || opts.groups.includes(`chromium-${b}`),
  );
  if (backends.length) {
    const { runChromium } = await import("./chromium/driver");
    ours.push((w) => runChromium({ ...common(w), backends }));
  }
  let peer: GroupRunner | undefined;
  if (opts.groups.includes("pytorch")) {
    const { findTorchPython, runPytorch } = await import("./pytorch");
    const python = await findTorchPython();
    peer = async (w) => [await runPytorch({ ...common(w), python })];
  }
  const summary: BenchSummary =
    ours.length || peer
      ? await runInterleaved({ workloads: opts.workloads, pairs: opts.pairs, ours, ...(peer ? { peer } : {}), log })
      : { pairs: opts.pairs, peer: null, runtimes: [] };
  if (opts.groups.includes("predict")) summary.predictions = await measurePredictions(opts, log);
  return summary;
}

/** `pairs` prediction pages per template, one Chromium after another; the reason as a string when one fails. */
async function measurePredictions(opts: BenchOptions, log: (line: string) => void): Promise<PredictionRow[] | string> {
  const pages = new Map<string, PredictMeasurement[]>();
  const { PREDICT_TEMPLATES, predictionRow, runPredictBench } = await import("./chromium/predict");
  try {
    for (let pair = 0; pair < opts.pairs; pair++) {
      log(`predict: round ${pair + 1} of ${opts.pairs}`);
      const round = await runPredictBench({
        templates: PREDICT_TEMPLATES,
        count: opts.predictions,
        warmup: PREDICT_WARMUP,
        timeoutMs: opts.timeoutMs,
        log,
      });
      for (const m of round) pages.set(m.template, [...(pages.get(m.template) ?? []), m]);
    }
  } catch (err) {
    return errorMessage(err);
  }
  return [...pages.values()].map((p) => predictionRow(p));
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const started = performance.now();
  const summary = await runBench(opts, log);
  log(`finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (opts.json) {
    for (const r of summary.runtimes) if (r.status !== "ok") log(`${r.runtime} ${r.status}: ${r.reason}`);
    if (typeof summary.predictions === "string") log(`predict failed: ${summary.predictions}`);
    const unfair = summary.peer && unfairPeerReason(summary.peer);
    if (unfair) log(unfair);
    process.stdout.write(`${JSON.stringify(toJsonOutput(summary))}\n`);
  } else {
    process.stdout.write(`${formatTable(summary)}\n`);
  }
  // A runtime that was asked for and broke is a failure of the run; one that is not installed is not.
  if (summary.runtimes.some((r) => r.status === "failed") || typeof summary.predictions === "string") {
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${errorMessage(err)}\n${USAGE}\n`);
  process.exitCode = 2;
});
