import type { LayerOf, Shape } from "@layerlab/spec";
import { convGeometry } from "../layers/conv2d";
import { poolGeometry } from "../layers/pool2d";
import type { Model } from "../model";
import { kernelWorkers } from "../threads";
import { type ConvKernelExports, canShareMemory, instantiateConvKernels, KernelArena } from "./kernels";
import { type BatchJob, CONTROL_BYTES, type Job, KernelHelper } from "./kernelThreads";
import { stackedLayerRelu, stackedLayers, stackedLayersOfSpec } from "./stackLayers";

/*
 * The convolutions at the front of a CNN, and the hidden dense layers after them, trained by the
 * project's own WebAssembly kernels (assembly/convKernels.ts) instead of jax-js. On CPU they are most
 * of a step, and jax-js's Wasm backend runs them as many small kernels (patch layout, products, pool
 * masks) at about 10 GFLOP/s on one thread; the own kernels keep activations channels-last, build each
 * patch matrix with one copy per window row and multiply it with a register-blocked SIMD product at
 * about 37 GFLOP/s on one thread of a quiet 2-core machine, 46–49 with relaxed SIMD's fused
 * multiply-adds (which Chromium and the engine's Node set-up enable).
 * jax-js has no way to call an outside kernel inside a traced function, so a training step runs
 * this stack forward on the host arrays, hands its features to a jitted step for the rest of the
 * model, and runs the stack backward on the gradient that step returns.
 */

/**
 * One conv layer, with the non-overlapping max pool that follows it when there is one, or a dense layer as the
 * convolution whose kernel covers its whole input (a 1×1 output, no pool).
 */
export interface ConvStage {
  /** The conv2d or dense layer. */
  layer: number;
  dense: boolean;
  pool: number | null;
  /** Input [C, H, W]. */
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  stride: number;
  padTop: number;
  padLeft: number;
  ho: number;
  wo: number;
  bias: boolean;
  relu: boolean;
  /** Pool window (1 without a pool) and the pooled size. */
  k: number;
  hq: number;
  wq: number;
}

/** Which layers the stack runs: `stages` from layer 0, then the model's own layers from `head`. */
export interface ConvStackPlan {
  stages: ConvStage[];
  head: number;
  /** The stack's output [C, H, W], the head's input. */
  features: Shape;
  /** The trained arrays of the stack, in the order `forward` takes them and `backward` returns their gradients. */
  params: string[];
}

/**
 * The stack for `model`'s leading chain of conv2d layers (relu or no activation, each optionally followed by a
 * non-overlapping max pool) and the dense layers after their flatten (`stackedLayers`), or null when the model
 * does not start with one or the rest of the model reads something inside it.
 */
export function convStackPlan(model: Model): ConvStackPlan | null {
  const layers = model.spec.layers;
  const stacked = stackedLayers(layers, model.sources);
  if (!stacked) return null;
  const params: string[] = [];
  const stages: ConvStage[] = [];
  for (const { layer: i, pool: p } of stacked.stages) {
    const layer = layers[i] as LayerOf<"conv2d"> | LayerOf<"dense">;
    params.push(`${i}.weight`, ...(layer.bias ? [`${i}.bias`] : []));
    if (layer.kind === "dense") {
      // Its input is the previous stage's output, flattened in [C, H, W] order as the weight's columns are.
      const before = stages.at(-1)!;
      stages.push(denseStage(i, before.o, before.hq, before.wq, layer));
      continue;
    }
    const [c, h, w] = model.shapes[i]! as [number, number, number];
    const g = convGeometry(layer, [c, h, w]);
    const pool = p === null ? null : poolGeometry(layers[p] as LayerOf<"maxPool2d">, [layer.filters, g.h.out, g.w.out]);
    stages.push({
      layer: i,
      dense: false,
      pool: p,
      c,
      h,
      w,
      o: layer.filters,
      kh: layer.kernel,
      kw: layer.kernel,
      stride: layer.stride,
      padTop: g.h.padding[0],
      padLeft: g.w.padding[0],
      ho: g.h.out,
      wo: g.w.out,
      bias: layer.bias,
      relu: stackedLayerRelu(layer),
      k: pool ? pool.h.kernel : 1,
      hq: pool ? pool.h.out : g.h.out,
      wq: pool ? pool.w.out : g.w.out,
    });
  }
  const last = stages[stages.length - 1]!;
  const features = last.dense ? [last.o] : [last.o, last.hq, last.wq];
  return { stages, head: stacked.head, features, params };
}

/** Dense layer `i` on an input [c, h, w] as a stage: a convolution with an h × w kernel and a 1 × 1 output. */
function denseStage(i: number, c: number, h: number, w: number, layer: LayerOf<"dense">): ConvStage {
  return {
    layer: i,
    dense: true,
    pool: null,
    c,
    h,
    w,
    o: layer.units,
    kh: h,
    kw: w,
    stride: 1,
    padTop: 0,
    padLeft: 0,
    ho: 1,
    wo: 1,
    bias: layer.bias,
    relu: stackedLayerRelu(layer),
    k: 1,
    hq: 1,
    wq: 1,
  };
}

interface StageBuffers {
  input: number;
  patches: number;
  weight: number;
  /**
   * [kh·kw·C, O] and [O, kh·kw·C]: the forward product's and the input gradient's operand (no second for the
   * first stage, which has no input gradient, or a dense one, which multiplies by its weight as it is).
   */
  weightCols: number;
  weightRows: number;
  bias: number;
  y: number;
  pooled: number;
  index: number;
  /** The gradient of the stage's output (pooled, or y without a pool). */
  gradOut: number;
}

/** A plan's stack for batches of `batch`, with every buffer laid out once in its own kernel instance. */
export class ConvStack {
  private constructor(
    readonly plan: ConvStackPlan,
    readonly batch: number,
    private readonly kernels: ConvKernelExports,
    private readonly helpers: KernelHelper[],
    private readonly arena: KernelArena,
    private readonly buffers: StageBuffers[],
    private readonly scratch: {
      nchw: number;
      dy: number;
      dWeightCols: number;
      dWeight: number;
      dBias: number;
      dPatches: number;
    },
  ) {}

  /**
   * On `threads` threads (default: `convStackThreads()`): this one and helpers that take an equal part of each
   * product, patch layout and pool.
   */
  static async create(plan: ConvStackPlan, batch: number, threads = convStackThreads()): Promise<ConvStack> {
    const workers = kernelWorkers();
    const shared = threads > 1 && workers !== null && canShareMemory();
    const instance = await instantiateConvKernels({ shared });
    const arena = new KernelArena(instance.memory);
    const controls = Array.from({ length: shared ? threads - 1 : 0 }, () => arena.reserve(CONTROL_BYTES / 4));
    const n = batch;
    const rows = (s: ConvStage) => n * s.ho * s.wo;
    const depth = (s: ConvStage) => s.kh * s.kw * s.c;
    const outSize = (s: ConvStage) => n * s.hq * s.wq * s.o;
    const buffers: StageBuffers[] = [];
    plan.stages.forEach((s, i) => {
      const y = arena.reserve(rows(s) * s.o);
      const input = i === 0 ? arena.reserve(n * s.c * s.h * s.w) : buffers[i - 1]!.pooled;
      // A dense stage reads its input in the weight's [C, H, W] order (a copy when H·W > 1), so its weight
      // needs no packing: the input gradient multiplies by the weight as it is, and the weight's gradient
      // comes out in its layout.
      const flattened = s.dense && s.h * s.w > 1 ? arena.reserve(n * depth(s)) : input;
      buffers.push({
        input,
        patches: s.dense ? flattened : arena.reserve(rows(s) * depth(s)),
        weight: arena.reserve(s.o * depth(s)),
        weightCols: arena.reserve(s.o * depth(s)),
        weightRows: i === 0 || s.dense ? 0 : arena.reserve(s.o * depth(s)),
        bias: arena.reserve(s.o),
        y,
        pooled: s.pool === null ? y : arena.reserve(outSize(s)),
        index: s.pool === null ? 0 : arena.reserve(outSize(s)),
        gradOut: arena.reserve(outSize(s)),
      });
    });
    const most = (f: (s: ConvStage) => number) => Math.max(...plan.stages.map(f));
    const inputs = plan.stages.slice(1);
    const scratch = {
      nchw: arena.reserve(
        Math.max(n * plan.stages[0]!.c * plan.stages[0]!.h * plan.stages[0]!.w, outSize(plan.stages.at(-1)!)),
      ),
      dy: arena.reserve(most((s) => rows(s) * s.o)),
      dWeightCols: arena.reserve(most((s) => s.o * depth(s))),
      dWeight: arena.reserve(most((s) => s.o * depth(s))),
      dBias: arena.reserve(most((s) => s.o)),
      dPatches: arena.reserve(inputs.length ? Math.max(...inputs.map((s) => rows(s) * depth(s))) : 0),
    };
    arena.commit();
    const started = await Promise.all(controls.map((at) => KernelHelper.start(instance, at, workers!.worker)));
    const helpers = started.filter((h): h is KernelHelper => h !== null);
    return new ConvStack(plan, batch, instance.exports, helpers, arena, buffers, scratch);
  }

  /** The threads the work is split between: this one and the helpers. */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /** Stops the helper threads. */
  dispose(): void {
    for (const helper of this.helpers) helper.dispose();
  }

  /**
   * Runs `job` over `count` units (rows, or samples) cut into equal parts, multiples of `align`, between this
   * thread and the helpers; `args(from, size)` are the job's arguments for units [from, from + size).
   */
  private split(job: Job, count: number, align: number, args: (from: number, size: number) => number[]): void {
    const run = this.kernels[job] as unknown as (...values: number[]) => void;
    const parts = Math.max(1, Math.min(this.helpers.length + 1, Math.floor(count / align)));
    const chunk = Math.ceil(count / parts / align) * align;
    const posted: KernelHelper[] = [];
    for (let part = 1; part < parts && part * chunk < count; part++) {
      const helper = this.helpers[part - 1]!;
      helper.post(job, args(part * chunk, Math.min(chunk, count - part * chunk)));
      posted.push(helper);
    }
    run(...args(0, Math.min(chunk, count)));
    for (const helper of posted) helper.wait();
  }

  /** C[m, n] (+)= A[m, k] · B[k, n], by rows of C: whole 4-row tiles per thread. */
  private product(a: number, b: number, c: number, m: number, k: number, n: number, accumulate: boolean): void {
    const more = accumulate ? 1 : 0;
    this.split("sgemm", m, 4, (from, rows) => [a + from * k * 4, b, c + from * n * 4, rows, k, n, more]);
  }

  /** C[m, n] = A[k, m]ᵀ · B[k, n], by rows of C (columns of A). */
  private productTN(a: number, b: number, c: number, m: number, k: number, n: number): void {
    this.split("sgemmTN", m, 4, (from, rows) => [a + from * 4, m, b, c + from * n * 4, rows, k, n, 0]);
  }

  /**
   * A kernel over the batch, by samples: `pointers` are the kernel's leading array arguments with their bytes
   * per sample, `rest(n)` its other arguments for n samples. Only for kernels whose samples are independent (max
   * pool indices are offsets from the `y` they are given, so a pool's backward pass is split as its forward was).
   */
  private byBatch(job: BatchJob, pointers: [at: number, perSample: number][], rest: (n: number) => number[]): void {
    this.split(job, this.batch, 1, (from, size) => [
      ...pointers.map(([at, perSample]) => at + from * perSample),
      ...rest(size),
    ]);
  }

  private patches(job: "im2col" | "col2im", from: number, to: number, s: ConvStage): void {
    const image = s.h * s.w * s.c * 4;
    const patches = s.ho * s.wo * s.kh * s.kw * s.c * 4;
    const geometry = [s.h, s.w, s.c, s.kh, s.kw, s.stride, s.padTop, s.padLeft, s.ho, s.wo];
    const sizes = job === "im2col" ? [image, patches] : [patches, image];
    this.byBatch(
      job,
      [
        [from, sizes[0]!],
        [to, sizes[1]!],
      ],
      (n) => [n, ...geometry],
    );
  }

  /**
   * The stack's output [N, C, H, W] for a batch `x` [N, C, H, W] with the stack's arrays `params` (plan.params
   * order). Keeps what the backward pass needs until the next call.
   */
  forward(x: Float32Array, params: Float32Array[]): Float32Array {
    const { kernels: k, arena } = this;
    const n = this.batch;
    const first = this.plan.stages[0]!;
    const inputSize = n * first.c * first.h * first.w;
    if (x.length !== inputSize) throw new Error(`the conv stack takes ${inputSize} input values, not ${x.length}`);
    if (first.c === 1) arena.f32(this.buffers[0]!.input, inputSize).set(x);
    else {
      arena.f32(this.scratch.nchw, inputSize).set(x);
      k.transpose(this.scratch.nchw, this.buffers[0]!.input, n, first.c, first.h * first.w);
    }
    let p = 0;
    this.plan.stages.forEach((s, i) => {
      const b = this.buffers[i]!;
      const depth = s.kh * s.kw * s.c;
      const rows = n * s.ho * s.wo;
      arena.f32(b.weight, s.o * depth).set(params[p++]!);
      if (s.dense) {
        // [units, in] → [in, units]; and the input [N, H·W, C] → [N, C, H·W], the flatten's order.
        k.transpose(b.weight, b.weightCols, 1, s.o, depth);
        if (b.patches !== b.input) k.transpose(b.input, b.patches, n, s.h * s.w, s.c);
      } else {
        k.packWeight(b.weight, b.weightCols, s.o, s.c, s.kh, s.kw, true);
        this.patches("im2col", b.input, b.patches, s);
      }
      if (s.bias) {
        arena.f32(b.bias, s.o).set(params[p++]!);
        k.fillRows(b.y, b.bias, rows, s.o);
      }
      this.product(b.patches, b.weightCols, b.y, rows, depth, s.o, s.bias);
      if (s.pool !== null) {
        const [y, q] = [s.ho * s.wo * s.o * 4, s.hq * s.wq * s.o * 4];
        const relu = s.relu ? 1 : 0;
        this.byBatch(
          "maxPoolForward",
          [
            [b.y, y],
            [b.pooled, q],
            [b.index, q],
          ],
          (m) => [m, s.ho, s.wo, s.o, s.k, s.hq, s.wq, relu],
        );
      } else if (s.relu) k.reluForward(b.y, rows * s.o);
    });
    const last = this.plan.stages.at(-1)!;
    const pixels = last.hq * last.wq;
    k.transpose(this.buffers.at(-1)!.pooled, this.scratch.nchw, n, pixels, last.o);
    return arena.f32(this.scratch.nchw, n * pixels * last.o).slice();
  }

  /** The gradients of the stack's arrays (plan.params order) from the gradient of its output [N, C, H, W]. */
  backward(gradFeatures: Float32Array): Float32Array[] {
    const { kernels: k, arena, scratch } = this;
    const n = this.batch;
    const last = this.plan.stages.at(-1)!;
    const pixels = last.hq * last.wq;
    arena.f32(scratch.nchw, n * pixels * last.o).set(gradFeatures);
    k.transpose(scratch.nchw, this.buffers.at(-1)!.gradOut, n, last.o, pixels);
    const grads: Float32Array[][] = [];
    for (let i = this.plan.stages.length - 1; i >= 0; i--) {
      const s = this.plan.stages[i]!;
      const b = this.buffers[i]!;
      const depth = s.kh * s.kw * s.c;
      const rows = n * s.ho * s.wo;
      let dy = b.gradOut;
      if (s.pool !== null) {
        const [y, q] = [s.ho * s.wo * s.o * 4, s.hq * s.wq * s.o * 4];
        const relu = s.relu ? 1 : 0;
        this.byBatch(
          "maxPoolBackward",
          [
            [b.gradOut, q],
            [b.pooled, q],
            [b.index, q],
            [scratch.dy, y],
          ],
          (m) => [m * (q / 4), m * (y / 4), relu],
        );
        dy = scratch.dy;
      } else if (s.relu) {
        k.reluBackward(dy, b.y, rows * s.o);
      }
      if (s.dense) {
        // dyᵀ · x: the gradient [units, in] in the weight's own layout.
        this.productTN(dy, b.patches, scratch.dWeight, s.o, rows, depth);
      } else {
        // The weight's gradient as the forward product's operand [kh·kw·C, O]: patchesᵀ · dy.
        this.productTN(b.patches, dy, scratch.dWeightCols, depth, rows, s.o);
        k.unpackWeight(scratch.dWeightCols, scratch.dWeight, s.o, s.c, s.kh, s.kw, true);
      }
      const stage = [arena.f32(scratch.dWeight, s.o * depth).slice()];
      if (s.bias) {
        k.columnSums(dy, scratch.dBias, rows, s.o);
        stage.push(arena.f32(scratch.dBias, s.o).slice());
      }
      grads.unshift(stage);
      const before = this.buffers[i - 1]?.gradOut;
      if (before === undefined) {
        // The first stage: the stack's input needs no gradient.
      } else if (s.dense) {
        // dy · weight: the input's gradient in [N, C, H·W] order, then back to the previous stage's [N, H·W, C].
        const flat = b.patches === b.input ? before : scratch.dPatches;
        this.product(dy, b.weight, flat, rows, s.o, depth, false);
        if (flat !== before) k.transpose(flat, before, n, s.c, s.h * s.w);
      } else {
        // Packed here, not in forward: the first stage and evaluation never need the input gradient's operand.
        k.packWeight(b.weight, b.weightRows, s.o, s.c, s.kh, s.kw, false);
        this.product(dy, b.weightRows, scratch.dPatches, rows, s.o, depth, false);
        this.patches("col2im", scratch.dPatches, before, s);
      }
    }
    return grads.flat();
  }
}

let enabled = true;

/** The threads the conv stack trains on here: one per core when helpers can start (`kernelWorkers`), else one. */
export function convStackThreads(): number {
  const workers = kernelWorkers();
  return workers && canShareMemory() ? workers.threads : 1;
}

/** The threads `spec`'s leading convolutions train on here with the conv stack, or null when it has none. */
export function convStackThreadsFor(spec: { layers: readonly { kind: string }[] }): number | null {
  return enabled && stackedLayersOfSpec(spec) ? convStackThreads() : null;
}

/** Turns the native conv stack off (`false`) or on again, for benchmarks and tests; takes effect at the next run. */
export function setConvStack(on: boolean): void {
  enabled = on;
}

/** `convStackPlan(model)`, or null while the stack is turned off (`setConvStack(false)`). */
export function convStackPlanIfEnabled(model: Model): ConvStackPlan | null {
  return enabled ? convStackPlan(model) : null;
}

/**
 * The conv stack that trains `model`'s leading convolutions at batch size `batch`, or null when it has none or
 * its buffers do not fit a WebAssembly memory (jax-js then trains the whole model, as it can).
 */
export async function convStackFor(model: Model, batch: number): Promise<ConvStack | null> {
  const plan = convStackPlanIfEnabled(model);
  if (!plan) return null;
  try {
    return await ConvStack.create(plan, batch);
  } catch (err) {
    if (err instanceof RangeError) return null; // WebAssembly.Memory.grow: more than 4 GiB, or no memory left
    throw err;
  }
}
