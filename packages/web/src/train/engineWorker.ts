/// <reference lib="webworker" />
import { type Dataset, normalizeInput } from "@layerlab/data-core";
import {
  buildModel,
  convStackThreadsFor,
  createSaliencyExplainer,
  disposeVars,
  initBackend,
  loadWeights,
  type Model,
  type ModelVars,
  refVars,
  type TrainRun,
  train,
  varsToHost,
} from "@layerlab/engine";
import type { Backend, TrainEvent, TrainingConfig } from "@layerlab/spec";
import { decodeDatasetPayload } from "../data/payload";
import { cachedShapes } from "../data/shapesCache";
import { epochViewInWorker } from "../epochs/epochViewInWorker";
import { measureCostInWorker } from "./measureCost";
import { PredictorCache } from "./predictorCache";
import type { FromWorker, Inspection, RunNormalization, ToWorker, WasmMode } from "./protocol";
import { type BrowserResumeState, decodeBrowserResumePoint, encodeBrowserResumePoint } from "./resumePoint";

/*
 * The engine side of the training worker, loaded by worker.ts once it has
 * chosen the Wasm threading mode: the page stays responsive while WebGPU or
 * Wasm trains, and live predictions use the latest weights between steps.
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
/** Models of finished runs trained elsewhere, held from `load` until the page sends `unload`. */
const loadedModels = new Map<string, { model: Model; vars: ModelVars; normalization: RunNormalization }>();
/** Each run's compiled prediction passes, reused by every prediction until the run's model changes or goes. */
const predictors = new PredictorCache();
/** Each run's compiled saliency passes, kept and dropped with its prediction passes. */
const explainers = new PredictorCache(createSaliencyExplainer);

/** Releases run `runId`'s compiled passes (its model changed or went). */
function dropCompiled(runId: string) {
  predictors.drop(runId);
  explainers.drop(runId);
}

// On one Wasm thread every kernel runs synchronously and the train loop only
// awaits resolved promises: without a real task boundary an abort, prediction
// or second run's message would wait for the whole run. A MessageChannel
// round trip gives one without setTimeout's 4 ms clamp.
const tick = new MessageChannel();
const waitingForTick: (() => void)[] = [];
tick.port1.onmessage = () => waitingForTick.shift()?.();

/** Resolves in a later task, after the messages already queued for this worker. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    waitingForTick.push(resolve);
    tick.port2.postMessage(null);
  });
}

async function startTraining(msg: Extract<ToWorker, { type: "train" }>) {
  // Runs train side by side (seed 002): each loop yields between steps, so they interleave.
  while (runs.size >= KEEP_RUNS) {
    const [oldest, kept] = runs.entries().next().value!;
    runs.delete(oldest);
    dropCompiled(oldest);
    // A run still training frees itself when its loop ends (below); disposing mid-step would pull arrays from under it.
    if (kept.finished) kept.run.dispose();
    else kept.controller.abort("too many runs in this page: the oldest was stopped");
  }
  let dataset: Dataset;
  if (msg.dataset.kind === "shapes") {
    dataset = cachedShapes(msg.dataset, msg.shapes);
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
  let progress: BrowserResumeState;
  try {
    const resumed = msg.resume ? decodeBrowserResumePoint(msg.resume.point) : null;
    // The restored weights are arrays of the backend, which must be up first.
    if (resumed) await engineInfo;
    progress = resumed?.state ?? { epochsDone: 0, bestMetric: null, bestEpoch: null, seconds: 0, limit: null };
    progress.limit = msg.limit ?? null;
    run = train({
      spec: msg.spec,
      config: msg.config,
      dataset,
      signal: controller.signal,
      limit: msg.limit,
      logEvery: 5,
      ...(resumed && {
        resume: {
          vars: loadWeights(buildModel(msg.spec), resumed.weights),
          optState: resumed.optimizerState,
          epochsDone: resumed.state.epochsDone,
          bestMetric: resumed.state.bestMetric,
        },
      }),
    });
  } catch (err) {
    const problem = err instanceof Error ? err.message : String(err);
    post({
      type: "failed",
      runId: msg.runId,
      message: msg.resume ? `the run cannot resume from its resume point: ${problem}` : problem,
    });
    return;
  }
  progress.normalization = { mean: [...run.normalization.mean], std: [...run.normalization.std] };
  const entry: WorkerRun = { run, controller, finished: false };
  runs.set(msg.runId, entry);
  // Compiled for the model this id named before; the next prediction builds this run's.
  dropCompiled(msg.runId);
  const engine = await engineInfo;
  // On Wasm, a CNN's leading convolutions train on the engine's own kernels, on threads of their own.
  const convThreads = engine.backend === "wasm" ? convStackThreadsFor(msg.spec) : null;
  post({ type: "started", runId: msg.runId, engine: { ...engine, ...(convThreads !== null && { convThreads }) } });
  // A resumed run's events continue the seqs recorded so far, and its time is the whole run's.
  const firstSeq = msg.resume?.firstSeq ?? 0;
  const secondsBefore = progress.seconds;
  const sessionStart = performance.now();
  for await (const engineEvent of run) {
    const event: TrainEvent =
      engineEvent.type === "done"
        ? { ...engineEvent, seq: engineEvent.seq + firstSeq, seconds: secondsBefore + engineEvent.seconds }
        : { ...engineEvent, seq: engineEvent.seq + firstSeq };
    post({ type: "event", runId: msg.runId, event });
    await nextTask();
    if (event.type === "epoch") {
      // Taken before the loop goes on, so the weights and optimizer state are this epoch's end.
      progress = nextProgress(progress, event, run.config, secondsBefore + (performance.now() - sessionStart) / 1000);
      const point = encodeBrowserResumePoint(await run.lastWeights(), await run.optimizerState(), progress);
      post({ type: "resumePoint", runId: msg.runId, epochsDone: event.epoch, point }, [point.buffer]);
    }
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
        normalization: { mean: [...run.normalization.mean], std: [...run.normalization.std] },
      });
    }
  }
  entry.finished = true;
  if (runs.get(msg.runId) !== entry) run.dispose();
}

/** The progress after epoch `e`: the best metric by the engine's early-stopping rule, and the seconds trained. */
function nextProgress(
  before: BrowserResumeState,
  e: Extract<TrainEvent, { type: "epoch" }>,
  config: TrainingConfig,
  seconds: number,
): BrowserResumeState {
  const metric = config.earlyStopping?.metric ?? "val_loss";
  const current = metric === "val_acc" ? e.valAccuracy : e.valLoss;
  const minDelta = config.earlyStopping?.minDelta ?? 0;
  const best = before.bestMetric;
  const improved =
    current !== null &&
    (best === null || (metric === "val_acc" ? current > best + minDelta : current < best - minDelta));
  return {
    ...before,
    epochsDone: e.epoch,
    seconds,
    ...(improved && { bestMetric: current, bestEpoch: e.epoch }),
  };
}

/** Normalises raw pixels in [0, 1] (`[C, H, W]`) with the statistics the model's training data was normalised with. */
function normalise(model: Model, normalization: RunNormalization, pixels: Float32Array): Float32Array {
  return normalizeInput(pixels, model.spec.input.shape, normalization);
}

/** What answers a prediction: a model, its normalisation and new references to its weights (the caller disposes them). */
interface HeldModel {
  model: Model;
  normalization: RunNormalization;
  vars: ModelVars;
}

/** The latest weights of run `runId` (trained here or loaded), or the reason there are none. */
function latestVars(runId: string): HeldModel | string {
  const loaded = loadedModels.get(runId);
  if (loaded) return { model: loaded.model, normalization: loaded.normalization, vars: refVars(loaded.vars) };
  const kept = runs.get(runId);
  if (!kept) return "this model is no longer in memory — train it again";
  try {
    return { model: kept.run.model, normalization: kept.run.normalization, vars: kept.run.currentVars() };
  } catch {
    return "the model has no weights yet";
  }
}

async function predictNow(msg: Extract<ToWorker, { type: "predict" }>) {
  const got = latestVars(msg.runId);
  if (typeof got === "string") {
    post({ type: "prediction", id: msg.id, probabilities: null, error: got, predictors: predictors.counts() });
    return;
  }
  const { model, normalization, vars } = got;
  try {
    const x = normalise(model, normalization, msg.pixels);
    const probabilities = await predictors.with(msg.runId, model, (p) => p.probabilities(vars, x, 1));
    post({ type: "prediction", id: msg.id, probabilities, predictors: predictors.counts() }, [probabilities.buffer]);
  } finally {
    disposeVars(vars);
  }
}

async function inspectNow(msg: Extract<ToWorker, { type: "inspect" }>) {
  const got = latestVars(msg.runId);
  if (typeof got === "string") {
    post({ type: "inspection", id: msg.id, inspection: null, error: got });
    return;
  }
  const { model, normalization, vars } = got;
  try {
    const x = normalise(model, normalization, msg.pixels);
    const outputs = await predictors.with(msg.runId, model, (p) => p.activations(vars, x, 1));
    const host = await varsToHost({ params: vars.params, state: {} });
    const weights: Inspection["weights"] = {};
    for (const [name, t] of Object.entries(host)) {
      const m = /^(\d+)\.weight$/.exec(name);
      if (m && t.shape.length >= 2) weights[Number(m[1])] = { shape: [...t.shape], data: t.data as Float32Array };
    }
    const inspection: Inspection = {
      input: { shape: [...model.spec.input.shape], data: x },
      layers: outputs.map((o) => {
        const id = model.spec.layers[o.layer]?.id;
        const sources = model.sources[o.layer] ?? [o.layer - 1];
        return { layer: o.layer, kind: o.kind, shape: o.shape.slice(1), data: o.data, sources, ...(id && { id }) };
      }),
      weights,
    };
    const transfer = [
      x.buffer,
      ...inspection.layers.map((l) => l.data.buffer),
      ...Object.values(weights).map((w) => w.data.buffer),
    ];
    post({ type: "inspection", id: msg.id, inspection }, [...new Set(transfer)] as ArrayBuffer[]);
  } finally {
    disposeVars(vars);
  }
}

async function saliencyNow(msg: Extract<ToWorker, { type: "saliency" }>) {
  const got = latestVars(msg.runId);
  if (typeof got === "string") {
    post({ type: "saliency", id: msg.id, saliency: null, error: got });
    return;
  }
  const { model, normalization, vars } = got;
  try {
    const x = normalise(model, normalization, msg.pixels);
    const saliency = await explainers.with(msg.runId, model, (e) => e.explain(vars, x, msg.request));
    post({ type: "saliency", id: msg.id, saliency }, [
      saliency.values.buffer,
      saliency.probabilities.buffer,
    ] as ArrayBuffer[]);
  } finally {
    disposeVars(vars);
  }
}

/** Builds run `msg.runId`'s model from its safetensors weights and holds it; a held run is left as it is. */
async function loadModel(msg: Extract<ToWorker, { type: "load" }>) {
  await engineInfo;
  if (!loadedModels.has(msg.runId)) {
    let model: Model;
    try {
      model = buildModel(msg.spec);
    } catch (err) {
      throw new Error(`its spec is not a model this studio can build (${err instanceof Error ? err.message : err})`);
    }
    loadedModels.set(msg.runId, { model, vars: loadWeights(model, msg.weights), normalization: msg.normalization });
  }
  post({ type: "loaded", runId: msg.runId });
}

/** Frees a model held by `loadModel`; predictions in flight keep their own references. */
function unloadModel(runId: string) {
  const held = loadedModels.get(runId);
  loadedModels.delete(runId);
  dropCompiled(runId);
  if (held) disposeVars(held.vars);
}

/** What a run trains on in this worker; set by `startEngine`. */
let engineInfo: Promise<EngineInfo>;

/** The backend and how many threads run its Wasm kernels (1 on WebGPU, where the GPU does the work). */
export interface EngineInfo {
  backend: Backend;
  threads: number;
  /** Threads of the engine's own conv kernels, for a run whose leading convolutions they train. */
  convThreads?: number;
}

function handle(msg: ToWorker) {
  if (msg.type === "train")
    startTraining(msg).catch((err) => post({ type: "failed", runId: msg.runId, message: String(err) }));
  else if (msg.type === "abort") runs.get(msg.runId)?.controller.abort("aborted by the user");
  else if (msg.type === "predict")
    predictNow(msg).catch((err) =>
      post({
        type: "prediction",
        id: msg.id,
        probabilities: null,
        error: String(err),
        predictors: predictors.counts(),
      }),
    );
  else if (msg.type === "inspect")
    inspectNow(msg).catch((err) => post({ type: "inspection", id: msg.id, inspection: null, error: String(err) }));
  else if (msg.type === "saliency")
    saliencyNow(msg).catch((err) =>
      post({ type: "saliency", id: msg.id, saliency: null, error: err instanceof Error ? err.message : String(err) }),
    );
  else if (msg.type === "load")
    loadModel(msg).catch((err) =>
      post({ type: "loaded", runId: msg.runId, error: err instanceof Error ? err.message : String(err) }),
    );
  else if (msg.type === "unload") unloadModel(msg.runId);
  else if (msg.type === "measureCost") void measureCostInWorker(msg, engineInfo, post);
  else if (msg.type === "epochView") void epochViewInWorker(msg, latestVars(msg.runId), post);
}

/**
 * Starts the engine in mode `mode` (worker.ts has already hidden `Worker` for
 * "single"), answers the messages that arrived meanwhile, then listens.
 */
export function startEngine(mode: WasmMode, queued: ToWorker[]): void {
  const pooled = mode === "pool" && self.crossOriginIsolated && typeof Worker !== "undefined";
  // jax-js sizes its pool by hardwareConcurrency (4 when unknown).
  const poolSize = Math.max(1, self.navigator.hardwareConcurrency || 4);
  engineInfo = initBackend().then((backend) => ({ backend, threads: backend === "wasm" && pooled ? poolSize : 1 }));
  self.onmessage = (e: MessageEvent<ToWorker>) => handle(e.data);
  for (const msg of queued) handle(msg);
  engineInfo
    .then(({ backend, threads }) => post({ type: "ready", backend, isolated: self.crossOriginIsolated, threads, mode }))
    .catch((err) => post({ type: "failed", message: `the engine could not start: ${String(err)}` }));
}
