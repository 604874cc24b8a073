/** What the bench page reports back to the driver on `window.__layerlabBench`. */
export interface PageOutcome {
  status: "done" | "failed";
  error?: string;
  results: { workload: string; samplesPerSec: number; steps: number; backend: string }[];
  /** True when COOP/COEP took effect, i.e. SharedArrayBuffer and the Wasm worker pool are possible. */
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  /** Web Workers started in the page (jax-js's Wasm pool), 0 when single-threaded. */
  workersStarted: number;
}
