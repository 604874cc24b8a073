/**
 * The server runtime: each workload trained as a server job, the way the
 * server's queue runs one — its job worker thread (packages/server/src/jobs)
 * given a JobInput on the built-in MNIST — in a process of its own, which
 * reports the job's rate (its batch events) and the process's peak resident
 * memory (maxRSS: the job thread lives in that process). Runnable on its own:
 * `tsx bench/server-job.ts --workload mnist-cnn --samples N` prints one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { jobThreadData, startJobThread } from "../packages/server/src/jobs/job-thread";
import type { JobInput, ServerMessage, WorkerMessage } from "../packages/server/src/jobs/job-types";
import { type BenchResult, errorMessage, type RuntimeReport } from "./results";
import { parseChildJson, runProcess } from "./subprocess";
import { median } from "./summary";
import { parseWorkloadList, samplesFor, stepPlan, WORKLOADS, type WorkloadName } from "./workloads";

const SCRIPT = fileURLToPath(import.meta.url);
/** The entry the server's queue starts each job thread with. */

const JobOutput = z.object({ samplesPerSec: z.number().positive(), peakRssBytes: z.number().positive() });

/** Options of `runServerJob`. */
export interface ServerJobOptions {
  workloads: readonly WorkloadName[];
  steps?: number;
  timeoutMs: number;
  log?: (line: string) => void;
}

/** Trains each workload as a job in a child process of its own (so each peak is that job's). */
export async function runServerJob(opts: ServerJobOptions): Promise<RuntimeReport> {
  const results: BenchResult[] = [];
  try {
    for (const workload of WORKLOADS.filter((w) => opts.workloads.includes(w.name))) {
      const samples = samplesFor(stepPlan(workload.name, opts.steps));
      const args = ["--import", "tsx", SCRIPT, "--workload", workload.name, "--samples", String(samples)];
      const outcome = await runProcess(process.execPath, args, {
        timeoutMs: opts.timeoutMs,
        ...(opts.log ? { onStderr: opts.log } : {}),
      });
      const out = JobOutput.parse(parseChildJson("the server job", outcome, opts.timeoutMs));
      results.push({ workload: workload.name, runtime: "server-job", ...out });
    }
    return {
      runtime: "server-job",
      status: "ok",
      results,
      note: "the server's job thread on MNIST (1 epoch, test evaluation included) in a process of its own",
    };
  } catch (err) {
    return { runtime: "server-job", status: "failed", reason: errorMessage(err) };
  }
}

/** Runs one job thread as the queue does and resolves with the rates of its batch events; rejects when the job fails. */
function trainAsJob(input: JobInput): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const rates: number[] = [];
    let failure: string | null = null;
    // As the queue starts a thread: with the Wasm threads the model wants, then the job as a message.
    const worker = startJobThread(jobThreadData(input));
    worker.postMessage({ type: "train", input } satisfies ServerMessage);
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "event" && m.event.type === "batch") rates.push(m.event.samplesPerSec);
      if (m.type === "event" && ["error", "aborted", "diverged"].includes(m.event.type)) {
        failure = `the job ended with '${m.event.type}': ${JSON.stringify(m.event).slice(0, 300)}`;
      }
      if (m.type === "crashed") failure = `the runner refused the job: ${m.message}`;
      // The engine's Wasm threads can keep the thread alive after the job, as the queue knows.
      if (m.type === "finished" || m.type === "crashed") void worker.terminate();
    });
    worker.on("error", (err) => {
      failure ??= err.message;
    });
    worker.on("exit", () => (failure ? reject(new Error(failure)) : resolve(rates)));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { workload: { type: "string" }, samples: { type: "string" } } });
  const [name] = parseWorkloadList(values.workload ?? "mnist-cnn");
  const workload = WORKLOADS.find((w) => w.name === name)!;
  const dataDir = mkdtempSync(join(tmpdir(), "layerlab-bench-job-"));
  try {
    const rates = await trainAsJob({
      runId: "bench",
      runDir: join(dataDir, "runs", "bench"),
      dataDir,
      name: `bench ${workload.name}`,
      spec: workload.spec,
      // One epoch over the limit and none held out: every sample is a training step, as in the other runtimes.
      config: { ...workload.config, epochs: 1, validationSplit: 0 },
      dataset: { kind: "builtin", name: "mnist" },
      limit: Number(values.samples ?? samplesFor(stepPlan(workload.name))),
    });
    // The first logged batch includes compiling the step.
    if (rates.length < 2) throw new Error(`the job logged ${rates.length} batch events; raise --steps`);
    const samplesPerSec = median(rates.slice(1));
    // maxRSS is in KiB and covers the whole process, job thread included.
    const peakRssBytes = process.resourceUsage().maxRSS * 1024;
    process.stderr.write(
      `server-job ${workload.name}: ${Math.round(samplesPerSec)} samples/s, peak RSS ${Math.round(peakRssBytes / 2 ** 20)} MiB\n`,
    );
    process.stdout.write(`${JSON.stringify({ samplesPerSec, peakRssBytes })}\n`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === SCRIPT) {
  main().catch((err: unknown) => {
    process.stderr.write(`server-job failed: ${errorMessage(err)}\n`);
    process.exit(1);
  });
}
