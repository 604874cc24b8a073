import { Worker } from "node:worker_threads";
import type { Normalization } from "@layerlab/data-core";

const WORKER_URL = new URL("./evaluate-worker-boot.mjs", import.meta.url);

/** What an evaluation worker is given (structured-cloneable). */
export interface EvaluationJob {
  /** The run's spec.json text. */
  specText: string;
  /** The checkpoint to evaluate. */
  weightsPath: string;
  normalization: Normalization;
  /** A LAYERLAB-DATASET-1 file whose test split is evaluated. */
  testSplitPath: string;
}

/** What an evaluation worker answers: the predicted class of every test image, or why it could not. */
export type EvaluationOutcome = { ok: true; predictions: Int32Array } | { ok: false; message: string };

/**
 * The predicted class of every image of a test split, computed in a worker
 * thread: a whole test set through a model is seconds of CPU that would
 * otherwise stall every other request. Rejects with the engine's error.
 */
export function predictTestSplitOffThread(job: EvaluationJob): Promise<Int32Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: job });
    let outcome: EvaluationOutcome | null = null;
    worker.once("message", (m: EvaluationOutcome) => {
      outcome = m;
      // The engine's Wasm threads can keep the thread alive after it answered.
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (outcome?.ok) resolve(outcome.predictions);
      else if (outcome) reject(new Error(outcome.message));
      else reject(new Error(`the evaluation worker exited with code ${code} before answering`));
    });
  });
}
