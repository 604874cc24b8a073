import { readFile } from "node:fs/promises";
import { parentPort } from "node:worker_threads";
import type { Dataset } from "@layerlab/data-core";
import { readDatasetFile } from "@layerlab/data-node";
import { buildModel, disposeVars, epochView, initBackend, loadWeights } from "@layerlab/engine";
import type { EpochViewJob, EpochViewOutcome, EpochViewRequest, EpochViewResult } from "./epoch-view-off-thread";

// Jobs one after another (each awaits the engine), the engine started once, the last test split kept.
let engineProblem: Error | null = null;
let chain: Promise<unknown> = initBackend().catch((err: Error) => {
  engineProblem = err;
});
let split: { key: string; dataset: Dataset } | null = null;

async function testSplit(job: EpochViewJob): Promise<Dataset> {
  const key = `${job.testSplitPath}@${job.testSplitIdentity}`;
  if (split?.key !== key) split = { key, dataset: await readDatasetFile(job.testSplitPath) };
  return split.dataset;
}

async function run(job: EpochViewJob): Promise<EpochViewResult> {
  if (engineProblem) throw new Error(`the engine could not start: ${engineProblem.message}`);
  const model = buildModel(JSON.parse(job.specText));
  const vars = loadWeights(model, new Uint8Array(await readFile(job.weightsPath)));
  try {
    const view = await epochView(model, vars, (await testSplit(job)).test, {
      normalization: job.normalization,
      sampleIndices: job.sampleIndices,
      limit: job.limit,
    });
    const { confusion, count, accuracy, loss } = view.evaluation;
    return { sampleProbabilities: view.sampleProbabilities, confusion, count, accuracy, loss };
  } finally {
    disposeVars(vars);
  }
}

parentPort?.on("message", ({ id, job }: EpochViewRequest) => {
  chain = chain.then(async () => {
    const outcome: EpochViewOutcome = await run(job).then(
      (result): EpochViewOutcome => ({ id, ok: true, ...result }),
      (err: Error): EpochViewOutcome => ({ id, ok: false, message: err.message }),
    );
    parentPort?.postMessage(outcome, outcome.ok ? [outcome.sampleProbabilities.buffer as ArrayBuffer] : []);
  });
});
