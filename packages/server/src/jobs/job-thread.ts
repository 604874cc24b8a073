import { Worker } from "node:worker_threads";
import { wasmThreadsFor } from "@layerlab/engine/node";
import type { JobInput, JobThreadData } from "./job-types";

const WORKER_URL = new URL("./worker-boot.mjs", import.meta.url);

/**
 * What a job thread for `input`'s model starts with: the Wasm threads jax-js gets there. A spec without layers
 * is the runner's to refuse, on a thread like any other.
 */
export function jobThreadData(input: JobInput): JobThreadData {
  const spec = input.spec as { layers?: unknown };
  const wasmThreads = Array.isArray(spec?.layers) ? wasmThreadsFor(spec as { layers: { kind: string }[] }) : 1;
  return { wasmThreads };
}

/** A new job thread (`worker.ts`) with `data`; it trains the jobs posted to it, one at a time. */
export function startJobThread(data: JobThreadData): Worker {
  return new Worker(WORKER_URL, { workerData: data });
}
