import { jit, numpy as np, random, tree, valueAndGrad } from "@jax-js/jax";
import {
  augmentBatch,
  type Batch,
  blackFill,
  computeNormalization,
  type Dataset,
  deriveSeed,
  epochBatches,
  foldSplit,
  gatherBatch,
  isIdentityAugmentation,
  type Normalization,
  validationSplit,
} from "@layerlab/data-core";
import {
  type EarlyStopping,
  type ModelSpec,
  sha256Hex,
  type TrainEvent,
  type TrainingConfig,
  type TrainingConfigInput,
  TrainingConfig as TrainingConfigSchema,
} from "@layerlab/spec";
import { initBackend, yieldToHost } from "./backend";
import { createEvaluator, deadUnitShares, type Evaluation, EvaluationAborted, evaluate } from "./evaluate";
import { gradientWarnings, layerGroups, readGradientStats } from "./gradient-stats";
import { disposeVars, refVars, saveWeights } from "./io/checkpoint";
import { loadTree, saveTree } from "./io/tree-io";
import type { ArrayMap } from "./layers/types";
import { correctCount, softmaxCrossEntropy } from "./loss";
import { buildModel, type Model, type ModelVars, paramCount } from "./model";
import { type ConvStack, convStackFor } from "./native/convStack";
import { applyUpdates, createOptimizer, learningRateAt, type OptState } from "./optim";

/** Where a resumed run starts: its weights, optimizer state and the epochs already done. */
export interface ResumePoint {
  vars: ModelVars;
  /** Optimizer state as saved by `TrainRun.optimizerState()`; when absent the optimizer starts fresh. */
  optState?: Uint8Array;
  /** Epochs completed before the interruption. */
  epochsDone: number;
  /** Best validation metric so far, to keep best-checkpoint selection consistent. */
  bestMetric?: number | null;
}

/** Everything `train` needs. */
export interface TrainOptions {
  spec: ModelSpec | unknown;
  config: TrainingConfigInput | TrainingConfig;
  dataset: Dataset;
  signal?: AbortSignal;
  /** Read the loss back and emit a `batch` event every this many steps (default 10). */
  logEvery?: number;
  /** Train on the first N training samples only. */
  limit?: number;
  /** Evaluate on the test split at the end (default true). */
  evaluateTest?: boolean;
  resume?: ResumePoint;
  /**
   * Mutates a gathered batch in place before upload, after the config's own
   * augmentation (which the engine applies itself, seeded by the run's seed).
   */
  augment?: (batch: Batch, ctx: { epoch: number; step: number }) => void;
  /**
   * Per-layer gradient norm and update-to-weight ratio, emitted as a
   * `gradients` event after each `batch` event, with `log` warnings for
   * vanishing or exploding gradients (default true).
   */
  gradientStats?: boolean;
}

/** A training run: iterate it for events; while paused at an event, its weights can be read. */
export interface TrainRun extends AsyncIterable<TrainEvent> {
  readonly model: Model;
  readonly config: TrainingConfig;
  /** Per-channel mean/std by `config.normalization`, from the training split; predict must use the same. */
  readonly normalization: Normalization;
  /** Safetensors bytes of the current weights. */
  lastWeights(metadata?: Record<string, string>): Promise<Uint8Array>;
  /** Safetensors bytes of the best weights by the validation metric so far, or null before any. */
  bestWeights(metadata?: Record<string, string>): Promise<Uint8Array | null>;
  /** Safetensors bytes of the optimizer's current state, for resuming exactly. */
  optimizerState(): Promise<Uint8Array>;
  /** The current weights (new references the caller owns), e.g. for live inference. */
  currentVars(): ModelVars;
  /** Test evaluation, once the run is done. */
  readonly test: Evaluation | null;
  /**
   * The threads the engine's own conv kernels train the model's leading convolutions on, once the run has
   * started; null when jax-js trains every layer.
   */
  readonly convThreads: number | null;
  /** Frees every array the run holds. Safe to call more than once. */
  dispose(): void;
}

type StepAcc = { loss: np.Array; correct: np.Array };

/** Hashes of what a fresh run starts from: its initial weights and its first batch's samples. */
async function startingPoint(vars: ModelVars, train: Uint32Array, batchSize: number, seed: number) {
  const first = epochBatches(train, { batchSize, seed, epoch: 0, dropLast: true })[0] ?? new Uint32Array(0);
  return {
    initialWeightsSha256: sha256Hex(await saveWeights(vars)),
    firstBatchSha256: sha256Hex(new Uint8Array(first.buffer, first.byteOffset, first.byteLength)),
  };
}

/** Starts a training run. Nothing happens until the returned run is iterated. */
export function train(opts: TrainOptions): TrainRun {
  const config = TrainingConfigSchema.parse(opts.config);
  const model = buildModel(opts.spec);
  const { dataset } = opts;
  const trainSet = opts.limit ? limitSet(dataset, opts.limit) : dataset.train;
  const folds = config.crossValidation;
  const split = folds
    ? foldSplit(trainSet, folds.folds, folds.fold, config.seed)
    : config.validationSplit > 0
      ? validationSplit(trainSet, config.validationSplit, config.seed)
      : { train: Uint32Array.from({ length: trainSet.count }, (_, i) => i), val: new Uint32Array(0) };
  const normalization = computeNormalization(trainSet, dataset.shape, split.train, config.normalization);
  checkFits(model, dataset);

  let vars: ModelVars | null = null;
  let optState: OptState | null = null;
  let best: ModelVars | null = null;
  let test: Evaluation | null = null;
  let convThreads: number | null = null;
  let disposed = false;

  const dispose = () => {
    if (disposed) return;
    disposed = true;
    if (vars) disposeVars(vars);
    if (best) disposeVars(best);
    if (optState) tree.dispose(optState);
    vars = best = optState = null;
  };

  async function* run(): AsyncGenerator<TrainEvent> {
    let seq = 0;
    const emit = <T extends TrainEvent["type"]>(
      type: T,
      body: Omit<Extract<TrainEvent, { type: T }>, "seq" | "time" | "type">,
    ): TrainEvent => ({ seq: seq++, time: Date.now(), type, ...body }) as unknown as TrainEvent;

    const backend = await initBackend();
    const optimizer = createOptimizer(config.optimizer, config.weightDecay);
    vars = opts.resume ? opts.resume.vars : model.init(config.seed);
    const batchSize = Math.min(config.batchSize, split.train.length);
    const stepsPerEpoch = Math.floor(split.train.length / batchSize);
    const startEpoch = opts.resume?.epochsDone ?? 0;
    const logEvery = Math.max(1, opts.logEvery ?? 10);
    const metric = config.earlyStopping?.metric ?? "val_loss";
    let bestMetric: number | null = opts.resume?.bestMetric ?? null;
    let sinceBest = 0;
    let stopReason: string | null = null;

    const groups = opts.gradientStats === false ? null : layerGroups(model.spec, Object.keys(vars.params));
    const stack = backend === "wasm" ? await convStackFor(model, batchSize) : null;
    convThreads = stack?.threads ?? null;
    const step = makeTrainStep(model, optimizer, config.labelSmoothing, groups?.names ?? null, stack);
    const warned = new Set<string>();
    const freshAcc = (): StepAcc => ({ loss: np.zeros([]), correct: np.zeros([]) });
    const augmenting = !isIdentityAugmentation(config.augmentation);
    const fill = blackFill(normalization);
    const flips = dataset.allowsHorizontalFlip ?? false;
    // Validation and test batches run the stack forward between steps, on its buffers and threads.
    const evaluator = createEvaluator(model, { stack });
    const started = performance.now();
    try {
      optState = restoreOptimizer(optimizer, vars, opts.resume?.optState);
      const startsAlike = opts.resume ? {} : await startingPoint(vars, split.train, batchSize, config.seed);
      yield emit("start", {
        ...startsAlike,
        backend,
        epochs: config.epochs,
        stepsPerEpoch,
        trainSamples: split.train.length,
        valSamples: split.val.length,
        paramCount: paramCount(vars),
        ...(opts.resume ? { resumedFromEpoch: startEpoch } : {}),
      });
      if (config.augmentation.horizontalFlip && !flips) {
        yield emit("log", {
          level: "warn",
          message: `Horizontal flips are off: mirroring changes the class of some '${dataset.name}' images (digits, letters).`,
        });
      }
      let globalStep = startEpoch * stepsPerEpoch;
      let epochsDone = startEpoch;
      let buffer: Batch | undefined;
      for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
        const epochStart = performance.now();
        const batches = epochBatches(split.train, { batchSize, seed: config.seed, epoch, dropLast: true });
        let acc: StepAcc = freshAcc();
        let lastRead = { loss: 0, correct: 0, step: 0, time: performance.now() };
        let lr = learningRateAt(config, globalStep, stepsPerEpoch);
        for (let b = 0; b < batches.length; b++) {
          if (opts.signal?.aborted) {
            tree.dispose(acc);
            yield emit("aborted", { epoch: epoch + 1, step: globalStep, reason: abortReason(opts.signal) });
            return;
          }
          buffer = gatherBatch(trainSet, dataset.shape, batches[b]!, normalization, buffer);
          if (augmenting) {
            augmentBatch(
              buffer,
              dataset.shape,
              config.augmentation,
              { seed: config.seed, epoch, batchIndex: b },
              fill,
              flips,
            );
          }
          opts.augment?.(buffer, { epoch, step: globalStep });
          lr = learningRateAt(config, globalStep, stepsPerEpoch);
          const y = np.array(buffer.y, { shape: [batchSize], dtype: np.int32 });
          const key = model.needsKey ? random.key(deriveSeed(config.seed, 3, globalStep)) : null;
          const stepInEpoch = b + 1;
          const logging = stepInEpoch % logEvery === 0 || stepInEpoch === batches.length;
          // Measured: statistics at every step cost ~28% of MLP throughput, so only the logged step computes them.
          let stats: np.Array | null;
          [vars, optState, acc, stats] = await step(
            vars,
            optState as OptState[],
            acc,
            buffer.x,
            y,
            key,
            lr,
            logging && !!groups,
          );
          globalStep++;
          // jax-js is lazy: a step's kernels wait in a queue until something reads. Left to pile up
          // between log points they ran ~5× slower (MLP on MNIST, logEvery 100: 7.6k → 38k
          // samples/s), so every step is submitted now — on WebGPU without waiting for the GPU.
          const submitted = acc.loss.ref.blockUntilReady();
          if (backend === "webgpu")
            void submitted.then(
              (a) => a.dispose(),
              () => {},
            );
          else (await submitted).dispose();
          if (logging) {
            const lossTotal = (await acc.loss.ref.data())[0]!;
            const correctTotal = (await acc.correct.ref.data())[0]!;
            const now = performance.now();
            const steps = stepInEpoch - lastRead.step;
            const loss = (lossTotal - lastRead.loss) / steps;
            // Consumes `stats`: [T · 3] sums of the logged step.
            const gradients =
              groups && stats ? readGradientStats(groups, (await stats.data()) as Float32Array, 1) : null;
            const gradientEvents = function* () {
              if (!gradients) return;
              yield emit("gradients", { epoch: epoch + 1, step: globalStep, layers: gradients });
              for (const message of gradientWarnings(gradients, warned)) yield emit("log", { level: "warn", message });
            };
            if (!Number.isFinite(loss)) {
              // The exploding-gradient warning explains the divergence, so it comes first.
              yield* gradientEvents();
              tree.dispose(acc);
              yield emit("diverged", {
                epoch: epoch + 1,
                step: globalStep,
                loss: Number.isNaN(loss) ? null : loss,
                message: divergedAdvice(config),
              });
              return;
            }
            yield emit("batch", {
              epoch: epoch + 1,
              step: globalStep,
              loss,
              accuracy: (correctTotal - lastRead.correct) / (steps * batchSize),
              learningRate: lr,
              samplesPerSec: (steps * batchSize) / ((now - lastRead.time) / 1000),
            });
            yield* gradientEvents();
            lastRead = { loss: lossTotal, correct: correctTotal, step: stepInEpoch, time: performance.now() };
          }
          await yieldToHost();
        }
        const trainLoss = lastRead.loss / Math.max(1, lastRead.step);
        const trainAccuracy = lastRead.correct / Math.max(1, lastRead.step * batchSize);
        tree.dispose(acc);
        const trainSeconds = (performance.now() - epochStart) / 1000;
        let valLoss: number | null = null;
        let valAccuracy: number | null = null;
        if (split.val.length > 0) {
          const val = await evaluate(model, vars, trainSet, {
            normalization,
            indices: split.val,
            evaluator,
            deadUnitSample: 0,
            ...(opts.signal && { signal: opts.signal }),
          }).catch((err: unknown) => abortedOr(err));
          if (!val) {
            yield emit("aborted", { epoch: epoch + 1, step: globalStep, reason: abortReason(opts.signal!) });
            return;
          }
          valLoss = val.loss;
          valAccuracy = val.accuracy;
        }
        // One eval pass over a small sample, so the doctor can spot dead ReLUs while the run trains.
        const deadUnits = await deadUnitShares(
          model,
          vars,
          trainSet,
          split.val.length > 0 ? split.val : split.train,
          normalization,
        );
        const seconds = (performance.now() - epochStart) / 1000;
        const current = metric === "val_acc" ? valAccuracy : valLoss;
        const improved =
          current !== null &&
          (bestMetric === null ||
            (metric === "val_acc"
              ? current > bestMetric + (config.earlyStopping?.minDelta ?? 0)
              : current < bestMetric - (config.earlyStopping?.minDelta ?? 0)));
        if (improved) {
          bestMetric = current;
          sinceBest = 0;
          if (best) disposeVars(best);
          best = refVars(vars);
        } else {
          sinceBest++;
        }
        yield emit("epoch", {
          epoch: epoch + 1,
          trainLoss,
          trainAccuracy,
          valLoss,
          valAccuracy,
          learningRate: lr,
          seconds,
          samplesPerSec: (stepsPerEpoch * batchSize) / trainSeconds,
          deadUnits,
        });
        epochsDone = epoch + 1;
        if (config.earlyStopping && split.val.length > 0 && sinceBest >= config.earlyStopping.patience) {
          stopReason = earlyStopReason(config.earlyStopping, epoch + 1, config.epochs, sinceBest);
          yield emit("log", { level: "info", message: stopReason });
          break;
        }
      }
      let testLoss: number | null = null;
      let testAccuracy: number | null = null;
      if (opts.evaluateTest !== false && dataset.test.count > 0) {
        test = await evaluate(model, vars, dataset.test, {
          normalization,
          evaluator,
          ...(opts.signal && { signal: opts.signal }),
        }).catch((err: unknown) => abortedOr(err));
        if (!test) {
          // Every epoch trained is saved: a resume only evaluates.
          yield emit("aborted", { epoch: epochsDone, step: globalStep, reason: abortReason(opts.signal!) });
          return;
        }
        testLoss = test.loss;
        testAccuracy = test.accuracy;
      }
      yield emit("done", {
        epochs: config.epochs,
        stoppedEarly: stopReason !== null,
        ...(stopReason !== null && { stopReason }),
        testLoss,
        testAccuracy,
        seconds: (performance.now() - started) / 1000,
        artifacts: [],
      });
    } catch (err) {
      yield emit("error", { message: errorMessage(err) });
    } finally {
      step.dispose();
      stack?.dispose();
      evaluator.dispose();
    }
  }

  return {
    model,
    config,
    normalization,
    get test() {
      return test;
    },
    get convThreads() {
      return convThreads;
    },
    [Symbol.asyncIterator]: () => run(),
    lastWeights: (metadata) => {
      if (!vars) throw new Error("the run has no weights yet: iterate it first");
      return saveWeights(vars, metadata);
    },
    bestWeights: async (metadata) => (best ? saveWeights(best, metadata) : null),
    optimizerState: () => {
      if (!optState) throw new Error("the run has no optimizer state yet: iterate it first");
      return saveTree(optState);
    },
    currentVars: () => {
      if (!vars) throw new Error("the run has no weights yet: iterate it first");
      return refVars(vars);
    },
    dispose,
  };
}

type StepResult<O> = [ModelVars, O, StepAcc, np.Array | null];

/**
 * One training step: forward, loss, gradient, optimizer update, metric accumulation. Without a conv stack it is
 * one jit-compiled function; with one, the stack runs forward and backward on the host around a jitted step of
 * the rest of the model, and a second jitted function applies the optimizer to every gradient.
 */
function makeTrainStep(
  model: Model,
  optimizer: ReturnType<typeof createOptimizer>,
  labelSmoothing: number,
  statNames: readonly string[] | null,
  stack: ConvStack | null,
) {
  type OptState = ReturnType<typeof optimizer.init>;
  const inShape = model.spec.input.shape;
  const lossOf = (params: ArrayMap, state: ArrayMap, x: np.Array, y: np.Array, key: np.Array | null, from = 0) => {
    const out = model.apply({ params, state }, x, { mode: "train", from, ...(key ? { key } : {}) });
    const correct = correctCount(out.logits.ref, y.ref);
    return [softmaxCrossEntropy(out.logits, y, labelSmoothing), { state: out.state, correct }] as [
      np.Array,
      { state: ArrayMap; correct: np.Array },
    ];
  };
  const update = (
    params: ArrayMap,
    optState: OptState,
    acc: StepAcc,
    grads: ArrayMap,
    loss: np.Array,
    correct: np.Array,
    lr: np.Array,
    withStats: boolean,
  ) => {
    // A few scalar reductions per tensor, traced into the same step: no extra device sync.
    const sumSq = (a: np.Array) => np.sum(np.square(a));
    const gradSq = !withStats ? null : statNames?.map((n) => sumSq(grads[n]!.ref));
    const [updates, newOptState] = optimizer.update(grads, optState, tree.ref(params), { learningRate: lr });
    const stats =
      withStats && statNames && gradSq
        ? np.stack(
            statNames.map((n, i) =>
              np.stack([gradSq[i]!, sumSq((updates as ArrayMap)[n]!.ref), sumSq(params[n]!.ref)]),
            ),
          ) // [T, 3]
        : null;
    const newParams = applyUpdates(params, updates);
    const newAcc: StepAcc = { loss: acc.loss.add(loss), correct: acc.correct.add(correct) };
    return [newParams, newOptState, newAcc, ...(stats ? [stats] : [])] as const;
  };
  const body = (
    params: ArrayMap,
    state: ArrayMap,
    optState: OptState,
    acc: StepAcc,
    x: np.Array,
    y: np.Array,
    lr: np.Array,
    key: np.Array | null,
    withStats: boolean,
  ) => {
    const [[loss, aux], grads] = valueAndGrad((p: ArrayMap) => lossOf(p, state, x, y, key), { hasAux: true })(
      tree.ref(params),
    );
    const [newParams, newOptState, newAcc, ...stats] = update(
      params,
      optState,
      acc,
      grads as ArrayMap,
      loss,
      aux.correct,
      lr,
      withStats,
    );
    return [newParams, aux.state, newOptState, newAcc, ...stats] as const;
  };
  // The plain variant returns four outputs; the fifth (statistics) exists only when measuring.
  type Out = [ArrayMap, ArrayMap, OptState, StepAcc, np.Array];
  // Four compiled variants: with/without a PRNG key, with/without gradient statistics.
  const compile = (withStats: boolean) => ({
    withKey: jit(
      (p: ArrayMap, s: ArrayMap, o: OptState, a: StepAcc, x: np.Array, y: np.Array, lr: np.Array, k: np.Array) =>
        body(p, s, o, a, x, y, lr, k, withStats) as unknown as Out,
    ),
    withoutKey: jit(
      (p: ArrayMap, s: ArrayMap, o: OptState, a: StepAcc, x: np.Array, y: np.Array, lr: np.Array) =>
        body(p, s, o, a, x, y, lr, null, withStats) as unknown as Out,
    ),
  });
  const plain = compile(false);
  const measuring = compile(true);
  const compiled: { dispose(): void }[] = [plain.withKey, plain.withoutKey, measuring.withKey, measuring.withoutKey];
  /** One step from the host batch `xHost` (the labels `y`, a PRNG key when the model draws, the learning rate). */
  type Step = (
    vars: ModelVars,
    optState: OptState,
    acc: StepAcc,
    xHost: Float32Array,
    y: np.Array,
    key: np.Array | null,
    lr: number,
    withStats: boolean,
  ) => Promise<StepResult<OptState>>;
  const fused: Step = async (vars, optState, acc, xHost, y, key, lr, withStats) => {
    const x = np.array(xHost, { shape: [y.shape[0]!, ...inShape] });
    const lrArr = np.array(lr);
    const fns = withStats && statNames ? measuring : plain;
    const [params, stateOut, opt, accOut, stats] = key
      ? fns.withKey(vars.params, vars.state, optState, acc, x, y, lrArr, key)
      : fns.withoutKey(vars.params, vars.state, optState, acc, x, y, lrArr);
    // Layers without running statistics return no state; keep what they had.
    return [{ params, state: { ...stateOut } }, opt, accOut, (stats as np.Array | undefined) ?? null];
  };
  const dispose = () => {
    for (const fn of compiled) fn.dispose();
  };
  if (!stack) return Object.assign(fused, { dispose });

  const { head, params: stackNames } = stack.plan;
  const stackIndex = new Map(stackNames.map((name, i) => [name, i]));
  const headStep = (p: ArrayMap, s: ArrayMap, f: np.Array, y: np.Array, k: np.Array | null) => {
    const [[loss, aux], [gradHead, gradFeatures]] = valueAndGrad(
      (hp: ArrayMap, features: np.Array) => lossOf(hp, s, features, y, k, head),
      { argnums: [0, 1], hasAux: true },
    )(p, f);
    return [loss, aux.correct, aux.state, gradHead, gradFeatures] as [np.Array, np.Array, ArrayMap, ArrayMap, np.Array];
  };
  const headWithKey = jit((p: ArrayMap, s: ArrayMap, f: np.Array, y: np.Array, k: np.Array) => headStep(p, s, f, y, k));
  const headWithoutKey = jit((p: ArrayMap, s: ArrayMap, f: np.Array, y: np.Array) => headStep(p, s, f, y, null));
  type UpdateOut = [ArrayMap, OptState, StepAcc, np.Array];
  const compileUpdate = (withStats: boolean) =>
    jit(
      (p: ArrayMap, o: OptState, a: StepAcc, g: ArrayMap, loss: np.Array, correct: np.Array, lr: np.Array) =>
        update(p, o, a, g, loss, correct, lr, withStats) as unknown as UpdateOut,
    );
  const plainUpdate = compileUpdate(false);
  const measuringUpdate = compileUpdate(true);
  compiled.push(headWithKey, headWithoutKey, plainUpdate, measuringUpdate);
  const split: Step = async (vars, optState, acc, xHost, y, key, lr, withStats) => {
    const stackParams = await Promise.all(stackNames.map((n) => vars.params[n]!.ref.data() as Promise<Float32Array>));
    const features = np.array(stack.forward(xHost, stackParams), { shape: [stack.batch, ...stack.plan.features] });
    const headParams: ArrayMap = {};
    for (const [name, arr] of Object.entries(vars.params)) if (!stackIndex.has(name)) headParams[name] = arr.ref;
    const [loss, correct, stateOut, gradHead, gradFeatures] = key
      ? headWithKey(headParams, vars.state, features, y, key)
      : headWithoutKey(headParams, vars.state, features, y);
    const stackGrads = stack.backward((await gradFeatures.data()) as Float32Array);
    // The optimizer's state is a tree over the parameters: the gradients keep their order.
    const grads: ArrayMap = {};
    for (const [name, arr] of Object.entries(vars.params)) {
      const at = stackIndex.get(name);
      grads[name] = at === undefined ? gradHead[name]! : np.array(stackGrads[at]!, { shape: arr.shape });
    }
    const fn = withStats && statNames ? measuringUpdate : plainUpdate;
    const [params, opt, accOut, stats] = fn(vars.params, optState, acc, grads, loss, correct, np.array(lr));
    return [{ params, state: { ...stateOut } }, opt, accOut, stats ?? null];
  };
  return Object.assign(split, { dispose });
}

function restoreOptimizer(
  optimizer: ReturnType<typeof createOptimizer>,
  vars: ModelVars,
  saved: Uint8Array | undefined,
): OptState {
  const fresh = optimizer.init(tree.ref(vars.params));
  if (!saved) return fresh;
  try {
    return loadTree(fresh, saved);
  } catch (err) {
    throw new Error(
      `the saved optimizer state does not fit this run (${errorMessage(err)}) — resume with the optimizer settings the run started with`,
    );
  }
}

function limitSet(dataset: Dataset, limit: number) {
  const size = dataset.shape.reduce((a, b) => a * b, 1);
  const count = Math.min(limit, dataset.train.count);
  return {
    images: dataset.train.images.subarray(0, count * size),
    labels: dataset.train.labels.subarray(0, count),
    count,
  };
}

function checkFits(model: Model, dataset: Dataset) {
  const want = model.spec.input.shape.join("×");
  const have = dataset.shape.join("×");
  if (want !== have) {
    throw new Error(
      `the model expects ${want} inputs but dataset '${dataset.name}' has ${have} images — rebuild the model for this dataset`,
    );
  }
  if (model.spec.classes.length !== dataset.classes.length) {
    throw new Error(
      `the model has ${model.spec.classes.length} outputs but dataset '${dataset.name}' has ${dataset.classes.length} classes — set the last dense layer's units to ${dataset.classes.length}`,
    );
  }
}

/** Why early stopping ended the run, e.g. "Stopped early after epoch 3 of 10: validation loss did not improve for 2 epochs in a row (patience 2)." */
function earlyStopReason(rule: EarlyStopping, epoch: number, epochs: number, epochsWithout: number): string {
  const watched = rule.metric === "val_acc" ? "validation accuracy" : "validation loss";
  const by = rule.minDelta > 0 ? ` by more than ${rule.minDelta}` : "";
  const span = `${epochsWithout} epoch${epochsWithout === 1 ? "" : "s"}`;
  return `Stopped early after epoch ${epoch} of ${epochs}: ${watched} did not improve${by} for ${span} in a row (patience ${rule.patience}).`;
}

function divergedAdvice(config: TrainingConfig): string {
  const lower = config.learningRate / 10;
  return `The loss became NaN or infinite: training diverged. Try a lower learning rate (e.g. ${lower.toExponential(0)}), add batch normalisation, or use Adam instead of SGD.`;
}

/** null for an evaluation stopped by the run's signal; any other failure goes on. */
function abortedOr(err: unknown): null {
  if (err instanceof EvaluationAborted) return null;
  throw err;
}

function abortReason(signal: AbortSignal): string {
  const r = signal.reason;
  return r instanceof Error ? r.message : typeof r === "string" ? r : "aborted by the user";
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
