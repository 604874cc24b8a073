import { blockUntilReady, type JsTree, jit, nn, numpy as np, random, tree, vjp } from "@jax-js/jax";
import {
  analyzeSpec,
  type Backend,
  GRAPH_INPUT,
  type InferenceLatency,
  isMerge,
  type Layer,
  type LayerCost,
  type LayerCostEntry,
  type LayerInfo,
} from "@layerlab/spec";
import { currentBackend, initBackend, yieldToHost } from "./backend";
import { disposeVars } from "./io/checkpoint";
import { merge } from "./layers/merge";
import { LAYERS } from "./layers/registry";
import type { ApplyContext, ArrayMap, LayerImpl, LayerVars } from "./layers/types";
import { buildModel, type ModelVars } from "./model";

/** Options of `measureLayerCost`. */
export interface LayerCostOptions {
  /** Batch size of the per-layer passes (default 64). */
  batchSize?: number;
  /** Timed calls per median, after the warm-up (default 7). */
  repeats?: number;
  /** Untimed calls first: compilation and the allocator's first requests (default 2). */
  warmup?: number;
  /** Batch sizes of the whole model's inference latency (default 1 and 64). */
  latencyBatchSizes?: number[];
  /** Timed inference passes per batch size (default 20). */
  latencyRepeats?: number;
  /** Stops between measurements: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each measurement with how many of `total` are done (layers, then latency batch sizes). */
  onProgress?: (done: number, total: number) => void;
}

/** Bytes of one float32 value: the engine trains and infers in float32. */
const BYTES_PER_FLOAT = 4;
/** The seed of the random weights and inputs: a cost does not depend on values, but runs should repeat. */
const SEED = 0;

/**
 * Measures what each layer of `spec` costs on the current backend (Wasm, or
 * WebGPU where the page has it): its parameters and activation memory,
 * counted on the arrays the engine makes, and the median time of its forward
 * pass, of its forward and backward passes as training runs them, and of the
 * backward's share, over a batch. Each layer runs alone, compiled, on
 * random input of its input shape(s), so a layer that training fuses with its
 * neighbour (a conv and the max pool after it on Wasm) is timed unfused. Then
 * the whole model's eval-mode inference latency, from uploading the inputs to
 * reading the probabilities back, at each of `latencyBatchSizes`.
 *
 * Every array it makes is freed before it returns (or throws).
 */
export async function measureLayerCost(spec: unknown, opts: LayerCostOptions = {}): Promise<LayerCost> {
  const analysis = analyzeSpec(spec);
  if (!analysis.ok || !analysis.spec) {
    const problem = analysis.problems.find((p) => p.severity === "error");
    throw new Error(
      `the model's cost cannot be measured: ${problem ? `${problem.message} (${problem.fix})` : "the spec is not valid"}`,
    );
  }
  const batchSize = opts.batchSize ?? 64;
  const repeats = opts.repeats ?? 7;
  const warmup = opts.warmup ?? 2;
  const latencyBatchSizes = opts.latencyBatchSizes ?? [1, 64];
  const latencyRepeats = opts.latencyRepeats ?? 20;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be a whole number ≥ 1, not ${batchSize}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a whole number ≥ 1, not ${repeats}`);

  await initBackend();
  const backend: Backend = currentBackend();
  const layers = analysis.spec.layers;
  const total = layers.length + latencyBatchSizes.length;
  const timing: Timing = { warmup, repeats, signal: opts.signal };
  const entries: LayerCostEntry[] = [];
  for (const [index, layer] of layers.entries()) {
    const info = analysis.layers[index]!;
    entries.push(await measureLayer(layer, info, batchSize, timing));
    opts.onProgress?.(entries.length, total);
    await yieldToHost();
  }
  const inference: InferenceLatency[] = [];
  for (const n of latencyBatchSizes) {
    inference.push(await inferenceLatency(analysis.spec, n, { ...timing, repeats: latencyRepeats }));
    opts.onProgress?.(layers.length + inference.length, total);
    await yieldToHost();
  }
  return { backend, batchSize, repeats, measuredAt: new Date().toISOString(), layers: entries, inference };
}

/** How the timed loops run. */
interface Timing {
  warmup: number;
  repeats: number;
  signal: AbortSignal | undefined;
}

/** One compiled pass to time: fresh arguments for each call (untimed), and the call. */
interface Pass {
  /** New references the call consumes. */
  args: () => unknown;
  call: (args: never) => JsTree<np.Array>;
}

/**
 * Wall times in ms of `repeats` calls of each pass, the passes taking turns
 * (so a change in the machine's load hits them alike), each call waited for
 * until the device is done, after `warmup` untimed rounds. Making the
 * arguments is not timed; every output is freed.
 */
async function timePasses(passes: Pass[], t: Timing): Promise<number[][]> {
  const samples: number[][] = passes.map(() => []);
  for (let i = 0; i < t.warmup + t.repeats; i++) {
    for (const [p, pass] of passes.entries()) {
      t.signal?.throwIfAborted();
      const args = pass.args() as never;
      const start = performance.now();
      const out = pass.call(args);
      await blockUntilReady(out);
      const ms = performance.now() - start;
      tree.dispose(out);
      if (i >= t.warmup) samples[p]!.push(ms);
    }
  }
  return samples;
}

/** The value at quantile `q` of `samples` by the nearest-rank rule (q = 0.5: the median). */
function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** A positive time: a pass too short to measure (or to tell apart from another) reads as 1 µs, not 0 or less. */
function positiveMs(ms: number): number {
  return Math.max(ms, 1e-3);
}

function implOf(kind: string): LayerImpl<never> {
  const impl = (LAYERS as unknown as Record<string, LayerImpl<never>>)[kind];
  if (!impl) throw new Error(`the engine has no layer kind '${kind}'`);
  return impl;
}

/**
 * Applies `layer` to its inputs, as the model does: a merge (add, concat)
 * joins all of them, any other layer takes its one input.
 */
function applyLayer(
  impl: LayerImpl<never>,
  layer: Layer,
  vars: LayerVars,
  xs: np.Array[],
  ctx: ApplyContext,
): { y: np.Array; state: ArrayMap } {
  if (!isMerge(layer)) return impl.apply(layer as never, vars, xs[0]!, ctx);
  ctx.key?.dispose();
  return { y: merge(layer.kind as "add" | "concat", xs), state: vars.state };
}

/**
 * Measures one layer alone: counts on its initialised arrays; the median time
 * of its forward pass compiled alone and of its forward and backward passes
 * compiled together; and the backward time as the median, over rounds, of the
 * combined pass less the forward of the same round. (Timing the backward alone
 * needs a vjp taken outside `jit`, which leaks buffers in jax-js 0.1.25.)
 */
async function measureLayer(layer: Layer, info: LayerInfo, batchSize: number, t: Timing): Promise<LayerCostEntry> {
  const impl = implOf(layer.kind);
  const shapes = info.inShapes;
  // Training never differentiates the model's input, and a conv on it may use a gather whose gradient jax-js cannot compile.
  const isData = info.sources.map((source) => source === GRAPH_INPUT);
  const inputIsData = isData.some(Boolean);
  const keys = random.split(random.key(SEED + info.index), shapes.length + 1); // [inputs + 1, 2]
  const [initKey, ...inputKeys] = np.split(keys, shapes.length + 1, 0).map((k) => k.reshape([-1]));
  const vars = impl.init(layer as never, shapes[0]!, initKey!);
  const xs = shapes.map((s, i) => random.normal(inputKeys[i]!, [batchSize, ...s])); // [N, ...inShape] each
  const ctxOf = (key: np.Array): ApplyContext => {
    if (impl.needsKey) return { mode: "train", key, inputIsData };
    key.dispose();
    return { mode: "train", inputIsData };
  };
  const forward = jit((p: ArrayMap, s: ArrayMap, inputs: np.Array[], key: np.Array) => {
    const out = applyLayer(impl, layer, { params: p, state: s }, inputs, ctxOf(key));
    return [out.y, out.state] as [np.Array, ArrayMap];
  });
  const withGradients = Object.keys(vars.params).length > 0 || isData.some((data) => !data);
  const forwardBackward = jit(
    (p: ArrayMap, s: ArrayMap, inputs: np.Array[], key: np.Array, cotangent: np.Array): JsTree<np.Array> => {
      const data = inputs.filter((_, i) => isData[i]);
      const f = (q: ArrayMap, differentiated: np.Array[]) => {
        const all = isData.map((d) => (d ? data.shift()! : differentiated.shift()!));
        const out = applyLayer(impl, layer, { params: q, state: s }, all, ctxOf(key));
        tree.dispose(out.state);
        return out.y;
      };
      const [y, pullback] = vjp(f, [p, inputs.filter((_, i) => !isData[i])]);
      y.dispose();
      const gradients = pullback(cotangent);
      pullback.dispose();
      return gradients;
    },
  );
  const outShape = [batchSize, ...(info.outShape ?? [])];
  const cotangent = random.normal(random.key(SEED + 1), outShape); // like the layer's output
  const args = () => [tree.ref(vars.params), tree.ref(vars.state), xs.map((x) => x.ref), random.key(SEED)] as const;
  let activationBytes = 0;
  try {
    const passes: Pass[] = [
      {
        args,
        call: ([p, s, inputs, key]: ReturnType<typeof args>) => {
          const out = forward(p, s, inputs, key);
          activationBytes = (out[0].size / batchSize) * BYTES_PER_FLOAT;
          return out;
        },
      },
    ];
    if (withGradients) {
      passes.push({
        args: () => [...args(), cotangent.ref] as const,
        call: ([p, s, inputs, key, ct]: [...ReturnType<typeof args>, np.Array]) =>
          forwardBackward(p, s, inputs, key, ct),
      });
    }
    const [forwardSamples, trainingSamples] = (await timePasses(passes, t)) as [number[], number[] | undefined];
    const backwardSamples = trainingSamples?.map((ms, round) => ms - forwardSamples[round]!);
    return {
      index: info.index,
      kind: layer.kind,
      inShapes: shapes.map((s) => [...s]),
      params: Object.values(vars.params).reduce((n, a) => n + a.size, 0),
      activationBytes,
      forwardMs: positiveMs(quantile(forwardSamples, 0.5)),
      trainingMs: trainingSamples ? positiveMs(quantile(trainingSamples, 0.5)) : null,
      backwardMs: backwardSamples ? positiveMs(quantile(backwardSamples, 0.5)) : null,
    };
  } finally {
    forward.dispose();
    forwardBackward.dispose();
    cotangent.dispose();
    disposeVars(vars);
    for (const x of xs) x.dispose();
  }
}

/** The whole model's eval-mode latency at batch size `n`: upload, compiled forward and softmax, read-back. */
async function inferenceLatency(spec: unknown, n: number, t: Timing): Promise<InferenceLatency> {
  const model = buildModel(spec);
  const vars: ModelVars = model.init(SEED);
  const size = model.spec.input.shape.reduce((a, b) => a * b, 1);
  const pixels = Float32Array.from({ length: n * size }, (_, i) => Math.sin(i)); // any values: the time does not depend on them
  const probabilities = jit((v: ModelVars, x: np.Array) => {
    const { logits, state } = model.apply(v, x, { mode: "eval" });
    tree.dispose(state);
    return nn.softmax(logits, -1); // [n, classes]
  });
  try {
    const samples: number[] = [];
    for (let i = 0; i < t.warmup + t.repeats; i++) {
      t.signal?.throwIfAborted();
      const v = { params: tree.ref(vars.params), state: tree.ref(vars.state) };
      const start = performance.now();
      await probabilities(v, np.array(pixels, { shape: [n, ...model.spec.input.shape] })).data();
      if (i >= t.warmup) samples.push(performance.now() - start);
    }
    return {
      batchSize: n,
      medianMs: positiveMs(quantile(samples, 0.5)),
      p95Ms: positiveMs(quantile(samples, 0.95)),
      samples: samples.length,
    };
  } finally {
    probabilities.dispose();
    disposeVars(vars);
  }
}
