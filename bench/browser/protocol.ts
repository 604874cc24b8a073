import type { PredictorCounts } from "../../packages/web/src/train/protocol";

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

/** What the prediction bench page reports back to the driver on `window.__layerlabPredict`. */
export interface PredictOutcome {
  status: "done" | "failed";
  error?: string;
  template: string;
  /** The worker's Wasm threading: "single" for dense nets, "pool" for conv nets. */
  mode: string;
  /** Draw-to-probabilities time of each measured prediction, in milliseconds, warm-up excluded. */
  latenciesMs: number[];
  /** The page's share of each: drawing to the model's pixels (before the worker is asked). */
  preprocessMs: number[];
  /**
   * The worker's compiled prediction passes (built since it started, not yet freed) after the
   * measured predictions on one model, and after swapping it for another; null when it does not say.
   */
  predictors: { afterMeasuring: PredictorCounts | null; afterSwitch: PredictorCounts | null };
}
