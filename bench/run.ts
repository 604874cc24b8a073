/**
 * `npm run bench`: trains the MNIST MLP and CNN (batch 64, Adam) in every
 * runtime available here — the engine in Node (Wasm), in headless Chromium
 * (multithreaded Wasm, and WebGPU when an adapter exists), and PyTorch on the
 * CPU with 2 threads when a Python has torch — one after another, then prints
 * a table with the ratios to PyTorch, or with `--json` exactly one JSON object
 * `{"results": [{workload, runtime, samplesPerSec}]}` on stdout (progress goes
 * to stderr).
 */
import { parseArgs } from "node:util";
import { runChromium } from "./chromium/driver";
import { runNode } from "./node-runtime";
import { runPytorch } from "./pytorch";
import { errorMessage, type RuntimeReport, toJsonOutput } from "./results";
import { formatTable } from "./table";
import { parseSteps, parseWorkloadList, WORKLOAD_NAMES, type WorkloadName } from "./workloads";

const RUNTIME_GROUPS = ["node", "chromium", "pytorch"] as const;
type RuntimeGroup = (typeof RUNTIME_GROUPS)[number];

const USAGE = `usage: npm run bench -- [--json] [--only ${RUNTIME_GROUPS.join(",")}] [--steps N] [--workloads ${WORKLOAD_NAMES.join(",")}] [--timeout SECONDS]
  --json       print only {"results": [...]} on stdout
  --only       runtimes to run (default: all available)
  --steps      measured training steps per workload (default: 400 MLP, 60 CNN; warm-up excluded)
  --workloads  workloads to run (default: both)
  --timeout    time limit per runtime in seconds (default 600)`;

interface BenchOptions {
  json: boolean;
  groups: RuntimeGroup[];
  workloads: WorkloadName[];
  steps?: number;
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
      workloads: { type: "string" },
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
  return {
    json: values.json,
    groups,
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

/** Runs the chosen runtimes one after another (they would compete for the 2 cores if run together). */
async function runBench(opts: BenchOptions, log: (line: string) => void): Promise<RuntimeReport[]> {
  const common = {
    workloads: opts.workloads,
    timeoutMs: opts.timeoutMs,
    log,
    ...(opts.steps ? { steps: opts.steps } : {}),
  };
  const reports: RuntimeReport[] = [];
  if (opts.groups.includes("node")) reports.push(await runNode(common));
  if (opts.groups.includes("chromium")) reports.push(...(await runChromium(common)));
  if (opts.groups.includes("pytorch")) reports.push(await runPytorch(common));
  return reports;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const started = performance.now();
  const reports = await runBench(opts, log);
  log(`finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (opts.json) {
    for (const r of reports) if (r.status !== "ok") log(`${r.runtime} ${r.status}: ${r.reason}`);
    process.stdout.write(`${JSON.stringify(toJsonOutput(reports))}\n`);
  } else {
    process.stdout.write(`${formatTable(reports)}\n`);
  }
  // A runtime that was asked for and broke is a failure of the run; one that is not installed is not.
  if (reports.some((r) => r.status === "failed")) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${errorMessage(err)}\n${USAGE}\n`);
  process.exitCode = 2;
});
