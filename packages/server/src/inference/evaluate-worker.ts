import { readFile } from "node:fs/promises";
import { parentPort, workerData } from "node:worker_threads";
import { readDatasetFile } from "@layerlab/data-node";
import { buildModel, disposeVars, evaluate, initBackend, loadWeights } from "@layerlab/engine";
import type { EvaluationJob, EvaluationOutcome } from "./evaluate-off-thread";

// One job per thread: evaluate, answer, and let the parent end the thread.
const job = workerData as EvaluationJob;

async function run(): Promise<Int32Array> {
  await initBackend();
  const model = buildModel(JSON.parse(job.specText));
  const vars = loadWeights(model, new Uint8Array(await readFile(job.weightsPath)));
  try {
    const dataset = await readDatasetFile(job.testSplitPath);
    // Only the predictions are wanted: no dead-unit sample.
    const evaluation = await evaluate(model, vars, dataset.test, {
      normalization: job.normalization,
      deadUnitSample: 0,
    });
    return evaluation.predictions;
  } finally {
    disposeVars(vars);
  }
}

const outcome: EvaluationOutcome = await run().then(
  (predictions) => ({ ok: true, predictions }),
  (err: Error) => ({ ok: false, message: err.message }),
);
parentPort?.postMessage(outcome, outcome.ok ? [outcome.predictions.buffer as ArrayBuffer] : []);
