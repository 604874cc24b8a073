/**
 * Browser side of the prediction bench: runs the studio's own training worker
 * (packages/web/src/train/worker.ts, served as /worker.js), loads a template
 * model into it, then times draw-to-probabilities round trips — a synthetic
 * stroke preprocessed as the draw page does, a `predict` message, its answer —
 * and leaves the latencies on `window.__layerlabPredict`. Then it swaps the
 * model for another (unload, load) and predicts once more, so the report
 * shows whether the worker rebuilt its compiled passes and freed the old ones.
 * The page URL says what to run: `?template=mlp|cnn&count=N&warmup=N`.
 */
import { keepWasmSingleThreaded, prefersWasmThreads } from "@layerlab/engine/threads";
import { buildTemplate } from "@layerlab/spec";
import { DRAW_SIZE } from "../../packages/web/src/draw/DrawCanvas";
import { drawingImage, modelInput } from "../../packages/web/src/draw/preprocess";
import type { FromWorker, PredictorCounts, ToWorker } from "../../packages/web/src/train/protocol";
import type { PredictOutcome } from "./protocol";

declare global {
  interface Window {
    __layerlabPredict?: PredictOutcome;
  }
}

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
/** MNIST's per-channel statistics, as a run trained on it records them. */
const MNIST_NORMALIZATION = { mean: [0.1307], std: [0.3081] };
const RUN_ID = "bench-model";
const OTHER_RUN_ID = "bench-model-2";

// Kept before the page's own engine hides Worker (it makes the weights on one thread).
const NativeWorker = globalThis.Worker;

/** A ring of ink on the draw canvas (ink = 1), a little different for each `i` so no two inputs are equal. */
function strokeInk(i: number): Float32Array {
  const ink = new Float32Array(DRAW_SIZE * DRAW_SIZE);
  const cx = DRAW_SIZE / 2 + ((i * 7) % 41) - 20;
  const cy = DRAW_SIZE / 2 + ((i * 13) % 41) - 20;
  const r = 60 + (i % 30);
  for (let y = 0; y < DRAW_SIZE; y++) {
    for (let x = 0; x < DRAW_SIZE; x++) {
      const d = Math.hypot(x - cx, y - cy);
      if (Math.abs(d - r) < 9) ink[y * DRAW_SIZE + x] = 1;
    }
  }
  return ink;
}

/** Random weights of `spec` (from `seed`) as a safetensors file, made with the engine on this page's thread. */
async function randomWeights(spec: unknown, seed: number): Promise<Uint8Array> {
  keepWasmSingleThreaded();
  const { initBackend, buildModel, saveWeights, disposeVars } = await import("@layerlab/engine");
  await initBackend({ allowWebGpu: false });
  const vars = buildModel(spec).init(seed);
  try {
    return await saveWeights(vars);
  } finally {
    disposeVars(vars);
  }
}

async function main(): Promise<PredictOutcome> {
  const params = new URLSearchParams(location.search);
  const template = params.get("template") === "cnn" ? "cnn" : "mlp";
  const count = Number(params.get("count") ?? 200);
  const warmup = Number(params.get("warmup") ?? 20);
  const spec = buildTemplate(template, { inputShape: [1, 28, 28], classes: DIGITS });
  const [weights, otherWeights] = [await randomWeights(spec, 1), await randomWeights(spec, 2)];
  // The studio's rule: conv nets get jax-js's Wasm worker pool when the page is cross-origin isolated.
  const mode = prefersWasmThreads(spec) && globalThis.crossOriginIsolated ? "pool" : "single";
  const worker = new NativeWorker("/worker.js", { type: "module" });
  const answers: ((m: FromWorker) => void)[] = [];
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    if (e.data.type === "failed") throw new Error(`the worker failed: ${e.data.message}`);
    if (e.data.type === "loaded" || e.data.type === "prediction") answers.shift()?.(e.data);
  };
  const ask = (msg: ToWorker, transfer: Transferable[] = []) =>
    new Promise<FromWorker>((resolve) => {
      answers.push(resolve);
      worker.postMessage(msg, transfer);
    });
  const load = async (runId: string, bytes: Uint8Array) => {
    const loaded = await ask({ type: "load", runId, spec, weights: bytes, normalization: MNIST_NORMALIZATION }, [
      bytes.buffer,
    ]);
    if (loaded.type === "loaded" && loaded.error) throw new Error(`the model did not load: ${loaded.error}`);
  };
  const preprocessMs: number[] = [];
  const predict = async (runId: string, i: number, ink: Float32Array): Promise<PredictorCounts | null> => {
    const started = performance.now();
    // The draw page's path from a drawing to the model's pixels (MNIST framing for a digit model).
    const pixels = modelInput(spec, true, drawingImage(ink, DRAW_SIZE));
    preprocessMs.push(performance.now() - started);
    const answer = await ask({ type: "predict", id: i, runId, pixels }, [pixels.buffer]);
    if (answer.type !== "prediction" || !answer.probabilities) {
      throw new Error(`prediction ${i} failed: ${answer.type === "prediction" ? answer.error : answer.type}`);
    }
    // Absent from workers that predate the counts.
    return answer.predictors ?? null;
  };
  worker.postMessage({ type: "configure", mode } satisfies ToWorker);
  await load(RUN_ID, weights);
  const latenciesMs: number[] = [];
  let afterMeasuring: PredictorCounts | null = null;
  for (let i = 0; i < warmup + count; i++) {
    const ink = strokeInk(i); // what the canvas hands the page: not part of the time
    const started = performance.now();
    afterMeasuring = await predict(RUN_ID, i, ink);
    if (i >= warmup) latenciesMs.push(performance.now() - started);
  }
  const measuredPreprocessMs = preprocessMs.slice(warmup);
  // What the draw page does when the user picks another model and the old one is freed.
  worker.postMessage({ type: "unload", runId: RUN_ID } satisfies ToWorker);
  await load(OTHER_RUN_ID, otherWeights);
  const afterSwitch = await predict(OTHER_RUN_ID, warmup + count, strokeInk(warmup + count));
  worker.terminate();
  return {
    status: "done",
    template,
    mode,
    latenciesMs,
    preprocessMs: measuredPreprocessMs,
    predictors: { afterMeasuring, afterSwitch },
  };
}

main().then(
  (outcome) => {
    window.__layerlabPredict = outcome;
  },
  (err: unknown) => {
    const message = err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err);
    window.__layerlabPredict = {
      status: "failed",
      error: message,
      template: "",
      mode: "",
      latenciesMs: [],
      preprocessMs: [],
      predictors: { afterMeasuring: null, afterSwitch: null },
    };
  },
);
