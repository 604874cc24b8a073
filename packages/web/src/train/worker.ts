/// <reference lib="webworker" />
import { type Dataset, generateShapes } from "@layerlab/data-core";
import { createEvaluator, disposeVars, initBackend, type TrainRun, train } from "@layerlab/engine";
import { decodeDatasetPayload } from "../data/payload";
import type { FromWorker, ToWorker } from "./protocol";

/*
 * Runs the engine off the main thread: the page stays responsive while WebGPU
 * or Wasm trains, and live predictions use the latest weights between steps.
 */
const post = (message: FromWorker, transfer: Transferable[] = []) => self.postMessage(message, transfer);

interface WorkerRun {
  run: TrainRun;
  controller: AbortController;
  finished: boolean;
}
/** Runs whose weights are kept for predictions; the oldest are freed beyond this many. */
const KEEP_RUNS = 4;
const runs = new Map<string, WorkerRun>();

async function startTraining(msg: Extract<ToWorker, { type: "train" }>) {
  // Runs train side by side (seed 002): each loop yields between steps, so they interleave.
  while (runs.size >= KEEP_RUNS) {
    const [oldest, kept] = runs.entries().next().value!;
    runs.delete(oldest);
    // A run still training frees itself when its loop ends (below); disposing mid-step would pull arrays from under it.
    if (kept.finished) kept.run.dispose();
    else kept.controller.abort("too many runs in this page: the oldest was stopped");
  }
  let dataset: Dataset;
  if (msg.dataset.kind === "shapes") {
    const { shapes, size, countPerClass, seed } = msg.dataset;
    dataset = generateShapes({ shapes, size, countPerClass, seed });
  } else if (msg.serverData) {
    dataset = decodeDatasetPayload(msg.serverData, msg.dataset.id);
  } else {
    post({
      type: "failed",
      runId: msg.runId,
      message: `dataset '${msg.dataset.id}' was not downloaded — reload the page and try again`,
    });
    return;
  }
  const controller = new AbortController();
  let run: TrainRun;
  try {
    run = train({
      spec: msg.spec,
      config: msg.config,
      dataset,
      signal: controller.signal,
      limit: msg.limit,
      logEvery: 5,
    });
  } catch (err) {
    post({ type: "failed", runId: msg.runId, message: err instanceof Error ? err.message : String(err) });
    return;
  }
  const entry: WorkerRun = { run, controller, finished: false };
  runs.set(msg.runId, entry);
  for await (const event of run) {
    post({ type: "event", runId: msg.runId, event });
    if (event.type === "done" && run.test) {
      const t = dataset.test;
      const weights = await run.lastWeights();
      post({
        type: "results",
        runId: msg.runId,
        evaluation: run.test,
        test: {
          shape: [...dataset.shape],
          classes: [...dataset.classes],
          images: t.images.slice(),
          labels: t.labels.slice(),
          count: t.count,
        },
        weights,
      });
    }
  }
  entry.finished = true;
  if (runs.get(msg.runId) !== entry) run.dispose();
}

async function predictNow(msg: Extract<ToWorker, { type: "predict" }>) {
  const kept = runs.get(msg.runId);
  if (!kept) {
    post({
      type: "prediction",
      id: msg.id,
      probabilities: null,
      error: "this model is no longer in memory — train it again",
    });
    return;
  }
  const { run } = kept;
  const [channels] = run.model.spec.input.shape;
  const { mean, std } = run.normalization;
  const x = new Float32Array(msg.pixels.length);
  const plane = msg.pixels.length / (channels ?? 1);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / plane);
    x[i] = (msg.pixels[i]! - mean[c]!) / std[c]!;
  }
  let vars: ReturnType<TrainRun["currentVars"]>;
  try {
    vars = run.currentVars();
  } catch {
    post({ type: "prediction", id: msg.id, probabilities: null, error: "the model has no weights yet" });
    return;
  }
  const evaluator = createEvaluator(run.model);
  try {
    const probabilities = await evaluator.probabilities(vars, x, 1);
    post({ type: "prediction", id: msg.id, probabilities }, [probabilities.buffer]);
  } finally {
    evaluator.dispose();
    disposeVars(vars);
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === "train")
    startTraining(msg).catch((err) => post({ type: "failed", runId: msg.runId, message: String(err) }));
  else if (msg.type === "abort") runs.get(msg.runId)?.controller.abort("aborted by the user");
  else if (msg.type === "predict")
    predictNow(msg).catch((err) => post({ type: "prediction", id: msg.id, probabilities: null, error: String(err) }));
};

initBackend()
  .then((backend) =>
    post({
      type: "ready",
      backend,
      isolated: self.crossOriginIsolated,
      threads: self.navigator.hardwareConcurrency ?? 1,
    }),
  )
  .catch((err) => post({ type: "failed", message: `the engine could not start: ${String(err)}` }));
