/**
 * The Node runtime: trains the workloads with the engine on jax-js Wasm in
 * this process. Runnable on its own (`tsx bench/node-runtime.ts
 * [--workloads a,b] [--steps N]`, one JSON line on stdout); `npm run bench`
 * runs it as a child process so that a hang can be stopped and the engine's
 * one-time backend choice does not leak into the other runtimes. `JAX_THREADS=N`
 * runs jax-js on N threads instead of the count a CLI or server run would use.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { enableWasmThreads, wasmThreadsFor } from "@layerlab/engine/node";
import { z } from "zod";
import { type BenchResult, errorMessage, type RuntimeReport } from "./results";
import { parseChildJson, runProcess } from "./subprocess";
import {
  parseSteps,
  parseWorkloadList,
  samplesFor,
  stepPlan,
  syntheticMnist,
  WORKLOAD_NAMES,
  WORKLOADS,
  type WorkloadName,
} from "./workloads";

const SCRIPT = fileURLToPath(import.meta.url);

/**
 * Trains each workload in-process and returns its rate (runtime "node-wasm").
 * The Wasm thread count is process-wide and fixed at the backend's start, so
 * one call measures workloads that want the same count (see `runNode`).
 */
export async function measureNode(
  workloads: readonly WorkloadName[],
  steps?: number,
): Promise<(BenchResult & { convThreads: number | null })[]> {
  const results: (BenchResult & { convThreads: number | null })[] = [];
  for (const workload of WORKLOADS.filter((w) => workloads.includes(w.name))) {
    // What a user of the runner gets: jax-js's worker threads for convolutions it runs, one thread
    // otherwise, and a helper thread for the engine's own conv kernels. It must happen before jax-js is
    // first loaded, hence the dynamic import below.
    // JAX_THREADS=N overrides jax-js's thread count, to measure the choice `wasmThreadsFor` makes.
    enableWasmThreads(Number(process.env.JAX_THREADS) || wasmThreadsFor(workload.spec));
    const { measureTrainingThroughput } = await import("@layerlab/engine");
    const plan = stepPlan(workload.name, steps);
    const dataset = syntheticMnist(samplesFor(plan));
    const r = await measureTrainingThroughput({ spec: workload.spec, config: workload.config, dataset, ...plan });
    if (r.backend !== "wasm") throw new Error(`expected the wasm backend in Node, got ${r.backend}`);
    process.stderr.write(`node-wasm ${workload.name}: ${Math.round(r.samplesPerSec)} samples/s\n`);
    // maxRSS is in KiB and covers the whole process so far: one workload per process makes it that workload's.
    const peakRssBytes = process.resourceUsage().maxRSS * 1024;
    results.push({
      workload: workload.name,
      runtime: "node-wasm",
      samplesPerSec: r.samplesPerSec,
      peakRssBytes,
      convThreads: r.convThreads,
    });
  }
  return results;
}

const NodeOutput = z.object({
  results: z.array(
    z.object({
      workload: z.enum(WORKLOAD_NAMES),
      runtime: z.literal("node-wasm"),
      samplesPerSec: z.number(),
      peakRssBytes: z.number(),
      convThreads: z.number().int().nullable(),
    }),
  ),
});

/** Options of `runNode`. */
export interface NodeOptions {
  workloads: readonly WorkloadName[];
  steps?: number;
  timeoutMs: number;
  log?: (line: string) => void;
}

/** Runs this file as a child process (through tsx) per workload, since each picks its own thread count. */
export async function runNode(opts: NodeOptions): Promise<RuntimeReport> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  try {
    for (const workload of WORKLOADS.filter((w) => opts.workloads.includes(w.name))) {
      const args = ["--import", "tsx", SCRIPT, "--workloads", workload.name];
      if (opts.steps !== undefined) args.push("--steps", String(opts.steps));
      const outcome = await runProcess(process.execPath, args, {
        timeoutMs: opts.timeoutMs,
        ...(opts.log ? { onStderr: opts.log } : {}),
      });
      const out = NodeOutput.parse(parseChildJson("the Node benchmark", outcome, opts.timeoutMs));
      results.push(...out.results.map(({ convThreads: _, ...result }) => result));
      const threads = wasmThreadsFor(workload.spec);
      const convThreads = out.results[0]?.convThreads ?? null;
      const conv = convThreads === null ? "" : `, its conv blocks on the engine's kernels with ${convThreads} threads`;
      notes.push(`${workload.name}: jax-js on ${threads} thread${threads === 1 ? "" : "s"}${conv}`);
    }
    return { runtime: "node-wasm", status: "ok", results, note: `Node ${process.version}, ${notes.join(", ")}` };
  } catch (err) {
    return { runtime: "node-wasm", status: "failed", reason: errorMessage(err) };
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { workloads: { type: "string" }, steps: { type: "string" } } });
  const workloads = values.workloads === undefined ? [...WORKLOAD_NAMES] : parseWorkloadList(values.workloads);
  const steps = values.steps === undefined ? undefined : parseSteps(values.steps);
  const results = await measureNode(workloads, steps);
  process.stdout.write(`${JSON.stringify({ results })}\n`);
}

if (process.argv[1] === SCRIPT) {
  main().catch((err: unknown) => {
    process.stderr.write(`node-wasm failed: ${errorMessage(err)}\n`);
    process.exit(1);
  });
}
