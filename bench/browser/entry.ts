/**
 * Browser side of the Chromium runtimes: trains the bench workloads with the
 * engine in the page and leaves the outcome on `window.__layerlabBench`.
 * The page URL says what to run: `?backend=wasm|webgpu&workloads=mnist-mlp,mnist-cnn&steps=N`.
 */
import { keepWasmSingleThreaded, prefersWasmThreads } from "@layerlab/engine/threads";
import { samplesFor, stepPlan, syntheticMnist, WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from "../workloads";
import type { PageOutcome } from "./protocol";

declare global {
  interface Window {
    __layerlabBench?: PageOutcome;
  }
}

// Counts the Web Workers started (jax-js's pool, or the engine's conv kernels' helper), so the report can
// say whether more than one thread trained.
let workersStarted = 0;
const NativeWorker = globalThis.Worker;
if (NativeWorker) {
  globalThis.Worker = class extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      workersStarted++;
    }
  };
}

async function main(): Promise<PageOutcome> {
  const params = new URLSearchParams(location.search);
  const wanted = params.get("backend") === "webgpu" ? "webgpu" : "wasm";
  const stepsParam = params.get("steps");
  const steps = stepsParam ? Number(stepsParam) : undefined;
  const names = (params.get("workloads") ?? WORKLOAD_NAMES.join(",")).split(",") as WorkloadName[];
  // What the studio does: jax-js runs on one Wasm thread unless the model has convolutions the engine's own
  // kernels do not take (they have a helper thread of their own). The choice is per page (jax-js reads it
  // once), so the driver opens one wasm page per workload.
  const chosen = WORKLOADS.filter((w) => names.includes(w.name));
  if (wanted === "wasm" && chosen.every((w) => !prefersWasmThreads(w.spec))) keepWasmSingleThreaded();
  const { initBackend, measureTrainingThroughput } = await import("@layerlab/engine"); // after the choice above
  // The engine picks WebGPU whenever navigator.gpu exists; the wasm row must not.
  const backend = await initBackend({ allowWebGpu: wanted === "webgpu" });
  if (backend !== wanted) throw new Error(`asked for ${wanted} but the engine started ${backend}`);
  const results: PageOutcome["results"] = [];
  for (const workload of chosen) {
    const plan = stepPlan(workload.name, steps);
    const dataset = syntheticMnist(samplesFor(plan));
    const r = await measureTrainingThroughput({ spec: workload.spec, config: workload.config, dataset, ...plan });
    console.info(`${workload.name} on ${r.backend}: ${Math.round(r.samplesPerSec)} samples/s`);
    results.push({ workload: workload.name, samplesPerSec: r.samplesPerSec, steps: r.steps, backend: r.backend });
  }
  return {
    status: "done",
    results,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    workersStarted,
  };
}

main().then(
  (outcome) => {
    window.__layerlabBench = outcome;
  },
  (err: unknown) => {
    const message = err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err);
    window.__layerlabBench = {
      status: "failed",
      error: message,
      results: [],
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      hardwareConcurrency: navigator.hardwareConcurrency,
      workersStarted,
    };
  },
);
