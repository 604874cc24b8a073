import { defaultDevice, jit, nn, numpy as np } from "@jax-js/jax";
import { type Batch, gatherBatch, type ImageSet, type Normalization } from "@layerlab/data-core";
import { type DeadUnits, deadUnitFractions } from "@layerlab/spec";
import { activations } from "./inference";
import { refVars } from "./io/checkpoint";
import type { ArrayMap } from "./layers/types";
import { softmaxCrossEntropy } from "./loss";
import type { Model, ModelVars } from "./model";
import { type ConvStack, type ConvStackPlan, convStackFor, convStackPlanIfEnabled } from "./native/convStack";

/** Test-set metrics of a model. Accuracies, precisions and recalls are fractions in [0, 1]. */
export interface Evaluation {
  loss: number;
  accuracy: number;
  count: number;
  /** `confusion[actual][predicted]` counts. */
  confusion: number[][];
  perClass: { precision: number; recall: number; support: number }[];
  /** Predicted class of every evaluated image, in order. */
  predictions: Int32Array;
  /** Share of each ReLU layer's units that never fired on the first evaluated images (the doctor's dead-ReLU rule). */
  deadUnits: DeadUnits[];
}

/** Eval-mode forward passes of one model, compiled once and reused. Call `dispose()` when done. */
export interface Evaluator {
  /** Summed loss and arg-max predictions of one batch. Does not consume `vars`. */
  batch(vars: ModelVars, x: Float32Array, y: Int32Array): Promise<{ lossSum: number; predictions: Int32Array }>;
  /** Softmax probabilities `[n · classes]` of one batch. Does not consume `vars`. */
  probabilities(vars: ModelVars, x: Float32Array, n: number): Promise<Float32Array>;
  dispose(): void;
}

/** Samples an evaluator's own conv stack takes at once: a common training batch, so its buffers stay small. */
const STACK_CHUNK = 64;

/**
 * Compiles the eval-mode passes of `model`. On Wasm, when the engine's own conv kernels train the model's
 * leading convolutions, `batch` runs them forward there too (2–4 ms an image in jax-js's eval forward against
 * a fraction of that): on `stack` when given (a training run's, used between its steps and not disposed here),
 * else on a stack of its own made at the first batch. `probabilities` (live predictions, a few images) stays on
 * jax-js.
 */
export function createEvaluator(model: Model, opts: { stack?: ConvStack | null } = {}): Evaluator {
  const inShape = model.spec.input.shape;
  const plan = opts.stack?.plan ?? (defaultDevice() === "wasm" ? convStackPlanIfEnabled(model) : null);
  const lossAndPreds = compileLossAndPreds(model, 0);
  const probs = jit((vars: ModelVars, x: np.Array) => {
    const { logits, state } = model.apply(vars, x, { mode: "eval" });
    for (const a of Object.values(state)) a.dispose();
    return nn.softmax(logits, -1);
  });
  const viaStack = plan ? stackedBatch(model, plan, opts.stack ?? null) : null;
  return {
    async batch(vars, x, y) {
      if (viaStack) {
        const out = await viaStack.batch(vars, x, y);
        if (out) return out;
      }
      const n = y.length;
      return readLossAndPreds(
        lossAndPreds(
          refVars(vars),
          np.array(x, { shape: [n, ...inShape] }),
          np.array(y, { shape: [n], dtype: np.int32 }),
        ),
      );
    },
    async probabilities(vars, x, n) {
      const p = probs(refVars(vars), np.array(x, { shape: [n, ...inShape] }));
      return (await p.data()) as Float32Array;
    },
    dispose() {
      lossAndPreds.dispose();
      probs.dispose();
      viaStack?.dispose();
    },
  };
}

/** The eval-mode pass from layer `from` (0: the whole model) to the summed loss and arg-max predictions. */
function compileLossAndPreds(model: Model, from: number) {
  return jit((vars: ModelVars, x: np.Array, y: np.Array) => {
    const { logits, state } = model.apply(vars, x, { mode: "eval", from });
    for (const a of Object.values(state)) a.dispose();
    const preds = np.argmax(logits.ref, -1).astype(np.int32);
    const n = logits.shape[0] ?? 1;
    return [softmaxCrossEntropy(logits, y).mul(n), preds] as [np.Array, np.Array];
  });
}

async function readLossAndPreds([loss, preds]: [np.Array, np.Array]) {
  const predictions = (await preds.data()) as Int32Array;
  const lossSum = (await loss.data())[0]!;
  return { lossSum, predictions };
}

/**
 * Eval batches whose first layers run forward on a conv stack (`shared`, else one of its own made at the first
 * batch), as many samples at a time as it takes, and the rest on jax-js from the stack's features. `batch`
 * answers null when no stack could be made here.
 */
function stackedBatch(model: Model, plan: ConvStackPlan, shared: ConvStack | null) {
  const inSize = model.spec.input.shape.reduce((a, b) => a * b, 1);
  const featureSize = plan.features.reduce((a, b) => a * b, 1);
  const stackNames = new Set(plan.params);
  let stack: Promise<ConvStack | null> | null = shared ? Promise.resolve(shared) : null;
  let padded: Float32Array | null = null;
  // The stack's weights are read back once per `vars` (an evaluation passes the same vars for every batch).
  const weights = new WeakMap<ModelVars, Promise<Float32Array[]>>();
  const headLoss = compileLossAndPreds(model, plan.head);
  return {
    async batch(vars: ModelVars, x: Float32Array, y: Int32Array) {
      stack ??= convStackFor(model, STACK_CHUNK);
      const ready = await stack;
      if (!ready) return null;
      let own = weights.get(vars);
      if (!own) {
        own = Promise.all(plan.params.map((name) => vars.params[name]!.ref.data() as Promise<Float32Array>));
        weights.set(vars, own);
      }
      const w = await own;
      const n = y.length;
      const chunkSize = ready.batch;
      const out = new Float32Array(n * featureSize);
      for (let start = 0; start < n; start += chunkSize) {
        const m = Math.min(chunkSize, n - start);
        let chunk = x.subarray(start * inSize, (start + m) * inSize);
        if (m < chunkSize) {
          padded ??= new Float32Array(chunkSize * inSize);
          padded.set(chunk);
          padded.fill(0, chunk.length);
          chunk = padded;
        }
        out.set(ready.forward(chunk, w).subarray(0, m * featureSize), start * featureSize);
      }
      const params: ArrayMap = {};
      for (const [name, arr] of Object.entries(vars.params)) if (!stackNames.has(name)) params[name] = arr.ref;
      const state: ArrayMap = {};
      for (const [name, arr] of Object.entries(vars.state)) state[name] = arr.ref;
      return readLossAndPreds(
        headLoss(
          { params, state },
          np.array(out, { shape: [n, ...plan.features] }),
          np.array(y, { shape: [n], dtype: np.int32 }),
        ),
      );
    },
    dispose() {
      headLoss.dispose();
      if (!shared) void stack?.then((s) => s?.dispose());
    },
  };
}

/** Options of `evaluate`. */
export interface EvaluateOptions {
  normalization: Normalization;
  batchSize?: number;
  /** Evaluate only these images of the set (default: all). */
  indices?: ArrayLike<number>;
  /** Reuse a compiled evaluator (else one is made and disposed). */
  evaluator?: Evaluator;
  /** How many of the images to look for dead ReLU units on (default 128; 0 skips it). */
  deadUnitSample?: number;
  /** Aborting stops the evaluation before its next batch with `EvaluationAborted`: a large test split takes minutes. */
  signal?: AbortSignal;
}

/** Thrown by `evaluate` when its signal was aborted between batches. */
export class EvaluationAborted extends Error {
  constructor() {
    super("evaluation aborted");
    this.name = "EvaluationAborted";
  }
}

/** A unit is dead when none of these images fires it; more images cost activation memory for every layer at once. */
const DEAD_UNIT_SAMPLE = 128;

/**
 * Share of each ReLU layer's units that never fire on the first `sample` of
 * `indices` in `set` (eval mode): the doctor's dead-ReLU evidence. Does not consume `vars`.
 */
export async function deadUnitShares(
  model: Model,
  vars: ModelVars,
  set: ImageSet,
  indices: ArrayLike<number>,
  normalization: Normalization,
  sample = DEAD_UNIT_SAMPLE,
): Promise<DeadUnits[]> {
  const n = Math.min(sample, indices.length);
  if (n === 0) return [];
  const first = Array.prototype.slice.call(indices, 0, n) as number[];
  const batch = gatherBatch(set, model.spec.input.shape, first, normalization);
  return deadUnitFractions(await activations(model, vars, batch.x, n), model.spec);
}

/** Loss, accuracy, confusion matrix and per-class precision/recall of `vars` on `set`. Does not consume `vars`. */
export async function evaluate(
  model: Model,
  vars: ModelVars,
  set: ImageSet,
  opts: EvaluateOptions,
): Promise<Evaluation> {
  const classes = model.spec.classes.length;
  const shape = model.spec.input.shape;
  const indices = opts.indices ?? Uint32Array.from({ length: set.count }, (_, i) => i);
  const batchSize = opts.batchSize ?? 256;
  const evaluator = opts.evaluator ?? createEvaluator(model);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const predictions = new Int32Array(indices.length);
  let lossSum = 0;
  let buffer: Batch | undefined;
  try {
    for (let start = 0; start < indices.length; start += batchSize) {
      if (opts.signal?.aborted) throw new EvaluationAborted();
      const idx = Array.prototype.slice.call(indices, start, Math.min(start + batchSize, indices.length)) as number[];
      buffer = gatherBatch(set, shape, idx, opts.normalization, buffer);
      const out = await evaluator.batch(vars, buffer.x, buffer.y);
      lossSum += out.lossSum;
      predictions.set(out.predictions, start);
      out.predictions.forEach((p, k) => {
        confusion[buffer!.y[k]!]![p]!++;
      });
    }
  } finally {
    if (!opts.evaluator) evaluator.dispose();
  }
  const count = indices.length;
  const correct = confusion.reduce((s, row, i) => s + row[i]!, 0);
  const perClass = confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((s, r) => s + r[c]!, 0);
    return {
      precision: predicted === 0 ? 0 : row[c]! / predicted,
      recall: support === 0 ? 0 : row[c]! / support,
      support,
    };
  });
  const sample = Math.min(opts.deadUnitSample ?? DEAD_UNIT_SAMPLE, count);
  const deadUnits = sample > 0 ? await deadUnitShares(model, vars, set, indices, opts.normalization, sample) : [];
  return {
    loss: count === 0 ? Number.NaN : lossSum / count,
    accuracy: count === 0 ? Number.NaN : correct / count,
    count,
    confusion,
    perClass,
    predictions,
    deadUnits,
  };
}
