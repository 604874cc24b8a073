import type { Dataset } from "@layerlab/data-core";
import type { Backend, TrainingConfigInput } from "@layerlab/spec";
import { train } from "./train";

/** Result of `measureTrainingThroughput`. */
export interface Throughput {
  backend: Backend;
  samplesPerSec: number;
  steps: number;
  /** Threads of the engine's own conv kernels, when they trained the leading convolutions (see `TrainRun`). */
  convThreads: number | null;
}

/**
 * Trains `spec` on `dataset` and measures steady-state training throughput:
 * the first `warmupSteps` (compilation, allocator warm-up) are excluded; the
 * rest is timed from batch events, which read the loss back from the device,
 * so queued work is counted.
 */
export async function measureTrainingThroughput(opts: {
  spec: unknown;
  config: TrainingConfigInput;
  dataset: Dataset;
  warmupSteps?: number;
  steps?: number;
}): Promise<Throughput> {
  const logEvery = 10;
  // Timing starts at a batch event inside the warm-up, so the warm-up must hold one.
  const warmup = Math.max(logEvery, Math.ceil((opts.warmupSteps ?? 20) / logEvery) * logEvery);
  const steps = Math.max(logEvery, opts.steps ?? 200);
  const batchSize = opts.config.batchSize ?? 64;
  const run = train({
    spec: opts.spec,
    config: { ...opts.config, epochs: 1, validationSplit: 0, earlyStopping: null },
    dataset: opts.dataset,
    limit: (warmup + steps) * batchSize,
    logEvery,
    evaluateTest: false,
  });
  let backend: Backend = "wasm";
  let t0 = 0;
  let firstStep = 0;
  let lastStep = 0;
  let t1 = 0;
  try {
    for await (const ev of run) {
      if (ev.type === "start") backend = ev.backend;
      if (ev.type === "batch") {
        if (ev.step <= warmup) {
          t0 = performance.now();
          firstStep = ev.step;
        } else {
          t1 = performance.now();
          lastStep = ev.step;
        }
      }
      if (ev.type === "error" || ev.type === "diverged") throw new Error(`benchmark run failed: ${JSON.stringify(ev)}`);
    }
  } finally {
    run.dispose();
  }
  const measured = lastStep - firstStep;
  if (measured <= 0) throw new Error("benchmark too short: no steps after warm-up");
  const samplesPerSec = (measured * batchSize) / ((t1 - t0) / 1000);
  return { backend, samplesPerSec, steps: measured, convThreads: run.convThreads };
}
