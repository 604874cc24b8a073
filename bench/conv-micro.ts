/**
 * Micro-benchmark of convolution strategies on Wasm (not a test): jit-compiled
 * forward + backward of the two conv blocks of the MNIST CNN
 * (conv 1→32 3×3 on 28×28, relu, maxpool 2, conv 32→64 3×3 on 13×13, relu,
 * maxpool 2, then a small linear + softmax cross-entropy head), batch 64.
 * The last variant is what the engine runs (a gather for the first layer,
 * whose input needs no gradient).
 *
 *   npx tsx bench/conv-micro.ts [variant-name-regex] [rounds]
 *
 * The machine is shared, so each variant runs `rounds` times (interleaved)
 * and the best round is reported, timed in this process's CPU time
 * (single thread: the kernels' own time; `WALL_CLOCK=1` for wall time).
 */
import { blockUntilReady, init, jit, lax, nn, numpy as np, random, tree, valueAndGrad } from "@jax-js/jax";
import type { LayerOf } from "@layerlab/spec";
import { CONV_IMPLS, type ConvGeometry, type ConvImpl } from "../packages/engine/src/layers/convImpl";
import { convPool } from "../packages/engine/src/layers/convPool";
import { gatherConv2d } from "../packages/engine/src/layers/gatherConv";
import { axisWindow } from "../packages/engine/src/layers/geometry";
import {
  type PoolFn,
  poolByReduceWindow,
  poolByReshape,
  poolByShiftedViews,
} from "../packages/engine/src/layers/pooling";
import { padForWindows, windowAt } from "../packages/engine/src/layers/windows";

const BATCH = 64;

/** The strided windows of one axis stacked at axis 1 (the former default's helper). */
function stackedWindows(x: np.Array, axis: number, kernel: number, out: number): np.Array {
  const views: np.Array[] = [];
  for (let k = 0; k < kernel; k++) {
    const spec: Parameters<np.Array["slice"]>[number][] = x.shape.map(() => []);
    spec[axis] = [k, k + out];
    views.push(x.ref.slice(...spec));
  }
  x.dispose();
  return np.stack(views, 1);
}

/** The former default (stride 1 only): CNHW patches [C·kh·kw, N·Ho·Wo] from separable stacks, one 2-D matmul. */
const im2colCnhw: ConvImpl = {
  name: "im2col-cnhw",
  conv2d(x, weight, { h, w }) {
    const [n, c] = x.shape as [number, number];
    const [o, , kh, kw] = weight.shape as [number, number, number, number];
    const cols = stackedWindows(x.transpose([1, 0, 2, 3]), 3, kw, w.out); // [C, kw, N, H, Wo]
    const patches = stackedWindows(cols, 3, kh, h.out); // [C, kh, kw, N, Ho, Wo]
    const y = np.matmul(weight.reshape([o, c * kh * kw]), patches.reshape([c * kh * kw, n * h.out * w.out]));
    return y.reshape([o, n, h.out, w.out]).transpose([1, 0, 2, 3]); // [N, O, Ho, Wo]
  },
};

/** im2col with the full NHWC patch matrix [N·Ho·Wo, kh·kw·C] (separable stacks), one matmul. */
const im2colNhwcFull: ConvImpl = {
  name: "im2col-nhwc-full",
  conv2d(x, weight, { h, w }) {
    const [n, c] = x.shape as [number, number];
    const [o, , kh, kw] = weight.shape as [number, number, number, number];
    const xt = x.transpose([0, 2, 3, 1]); // [N, H, W, C]
    const shift = (t: np.Array, axis: number, k: number, out: number) => {
      const spec: Parameters<np.Array["slice"]>[number][] = t.shape.map(() => []);
      spec[axis] = [k, k + out];
      return t.ref.slice(...spec);
    };
    const cols = np.stack(
      [0, 1, 2].slice(0, kw).map((j) => shift(xt, 2, j, w.out)),
      3,
    ); // [N, H, Wo, kw, C]
    xt.dispose();
    const patches = np.stack(
      [0, 1, 2].slice(0, kh).map((i) => shift(cols, 1, i, h.out)),
      3,
    ); // [N, Ho, Wo, kh, kw, C]
    cols.dispose();
    const wt = weight.transpose([2, 3, 1, 0]).reshape([kh * kw * c, o]); // [K, O]
    const y = np.matmul(patches.reshape([n * h.out * w.out, kh * kw * c]), wt); // [N·Ho·Wo, O]
    return y.reshape([n, h.out, w.out, o]).transpose([0, 3, 1, 2]);
  },
};

/** The former max pool: reshape to [N, C, Ho, 2, Wo, 2] and a max reduction (jax-js derives its gradient). */
const poolByMaxReduction: PoolFn = (x, op, h, w) => {
  const [n, c] = x.shape as [number, number];
  const blocks = x.slice([], [], [0, 2 * h.out], [0, 2 * w.out]).reshape([n, c, h.out, 2, w.out, 2]);
  return op === "max" ? blocks.max([3, 5]) : blocks.mean([3, 5]);
};

/** im2col with the patch matrix built in NHWC: transposes in, [N·Ho·Wo, K·C] · [K·C, O], transpose out. */
const im2colNhwc: ConvImpl = {
  name: "im2col-nhwc",
  conv2d(x, weight, { stride, h, w }) {
    const [n, c] = x.shape as [number, number];
    const [o, , kh, kw] = weight.shape as [number, number, number, number];
    const xt = padForWindows(x.transpose([0, 2, 3, 1]), 1, [h.padding, w.padding], [kh, kw], stride, [h.out, w.out]);
    const views: np.Array[] = [];
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) views.push(windowAt(xt.ref, 1, i, j, stride, h.out, w.out));
    xt.dispose();
    const patches = np.stack(views, 3).reshape([n * h.out * w.out, kh * kw * c]); // [N·Ho·Wo, K·C]
    const wt = weight.transpose([2, 3, 1, 0]).reshape([kh * kw * c, o]); // [K·C, O]
    return np.matmul(patches, wt).reshape([n, h.out, w.out, o]).transpose([0, 3, 1, 2]);
  },
};

/**
 * im2col in NCHW: patches [N, C·K, Ho·Wo] times the weight broadcast to
 * [N, O, C·K] (jax-js 0.1.25's matmul does not broadcast a 2-D lhs itself).
 */
const im2colNchwBatched: ConvImpl = {
  name: "im2col-nchw-batched",
  conv2d(x, weight, { stride, h, w }) {
    const [n, c] = x.shape as [number, number];
    const [o, , kh, kw] = weight.shape as [number, number, number, number];
    const xp = padForWindows(x, 2, [h.padding, w.padding], [kh, kw], stride, [h.out, w.out]);
    const views: np.Array[] = [];
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) views.push(windowAt(xp.ref, 2, i, j, stride, h.out, w.out));
    xp.dispose();
    const patches = np.stack(views, 2).reshape([n, c * kh * kw, h.out * w.out]); // [N, C·K, Ho·Wo]
    const weights = np.broadcastTo(weight.reshape([1, o, c * kh * kw]), [n, o, c * kh * kw]); // [N, O, C·K]
    return np.matmul(weights, patches).reshape([n, o, h.out, w.out]);
  },
};

/** im2col NCHW, the product as one `lax.dot` [O, C·K] · [N, C·K, P] → [O, N, P] and a transpose. */
const im2colDotTranspose: ConvImpl = {
  name: "im2col-dot-transpose",
  conv2d(x, weight, { stride, h, w }) {
    const [n, c] = x.shape as [number, number];
    const [o, , kh, kw] = weight.shape as [number, number, number, number];
    const xp = padForWindows(x, 2, [h.padding, w.padding], [kh, kw], stride, [h.out, w.out]);
    const views: np.Array[] = [];
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) views.push(windowAt(xp.ref, 2, i, j, stride, h.out, w.out));
    xp.dispose();
    const patches = np.stack(views, 2).reshape([n, c * kh * kw, h.out * w.out]);
    const y = lax.dot(weight.reshape([o, c * kh * kw]), patches, { lhsContractingDims: [1], rhsContractingDims: [1] });
    return y.transpose([1, 0, 2]).reshape([n, o, h.out, w.out]); // [O, N, P] → [N, O, Ho, Wo]
  },
};

/** No patch matrix: the sum over the K shifted views of [O, C] · [N, C, Ho·Wo]. */
const shiftSum: ConvImpl = {
  name: "shift-sum",
  conv2d(x, weight, { stride, h, w }) {
    const [n, c] = x.shape as [number, number];
    const [o, , kh, kw] = weight.shape as [number, number, number, number];
    const xp = padForWindows(x, 2, [h.padding, w.padding], [kh, kw], stride, [h.out, w.out]);
    let acc: np.Array | null = null;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const view = windowAt(xp.ref, 2, i, j, stride, h.out, w.out).reshape([n, c, h.out * w.out]);
        const wij = np.broadcastTo(weight.ref.slice([], [], i, j).reshape([1, o, c]), [n, o, c]); // [N, O, C]
        const term = np.matmul(wij, view); // [N, O, Ho·Wo]
        acc = acc === null ? term : acc.add(term);
      }
    }
    xp.dispose();
    weight.dispose();
    return acc!.reshape([n, o, h.out, w.out]);
  },
};

/**
 * `first` convolves the data (no input gradient); defaults to `conv`.
 * `firstBlock` replaces the first conv + bias + relu + pool.
 */
type Variant = {
  name: string;
  conv: ConvImpl;
  pool: PoolFn;
  first?: (x: np.Array, w: np.Array, g: ConvGeometry) => np.Array;
  firstBlock?: (x: np.Array, w: np.Array, b: np.Array) => np.Array;
};

/** The engine's conv + pool block for the first layer (pool-ordered gather, contiguous pool, relu after it). */
const CONV1: LayerOf<"conv2d"> = {
  kind: "conv2d",
  filters: 32,
  kernel: 3,
  stride: 1,
  padding: "valid",
  bias: true,
  activation: "relu",
};
const POOL1: LayerOf<"maxPool2d"> = { kind: "maxPool2d", size: 2 };
const enginePooledFirst = (x: np.Array, w: np.Array, b: np.Array) =>
  convPool(CONV1, POOL1, { weight: w, bias: b }, x, true);
const VARIANTS: Variant[] = [
  { name: "lax.conv + reduceWindow", conv: CONV_IMPLS.lax, pool: poolByReduceWindow },
  { name: "lax.conv + reshape-pool", conv: CONV_IMPLS.lax, pool: poolByReshape },
  { name: "im2col NCHW batched matmul + reshape-pool", conv: im2colNchwBatched, pool: poolByReshape },
  { name: "im2col NCHW lax.dot + transpose + reshape-pool", conv: im2colDotTranspose, pool: poolByReshape },
  { name: "im2col NHWC 9-view stack + reshape-pool", conv: im2colNhwc, pool: poolByReshape },
  { name: "shift-sum (9 matmuls) + reshape-pool", conv: shiftSum, pool: poolByReshape },
  { name: "im2col CNHW separable (former default) + max-reduction pool", conv: im2colCnhw, pool: poolByMaxReduction },
  { name: "im2col CNHW separable + reshape-pool (mask)", conv: im2colCnhw, pool: poolByReshape },
  { name: "im2col NHWC full patch matrix + reshape-pool (mask)", conv: im2colNhwcFull, pool: poolByReshape },
  { name: "im2col NHWC row matmuls (default) + max-reduction pool", conv: CONV_IMPLS.im2col, pool: poolByMaxReduction },
  { name: "im2col NHWC row matmuls (default) + shifted-views pool", conv: CONV_IMPLS.im2col, pool: poolByShiftedViews },
  { name: "im2col NHWC row matmuls (default) + reduceWindow", conv: CONV_IMPLS.im2col, pool: poolByReduceWindow },
  { name: "im2col NHWC row matmuls (default) + reshape-pool (mask)", conv: CONV_IMPLS.im2col, pool: poolByReshape },
  {
    name: "engine: pool-ordered gather conv+pool block + row matmuls + mask pool",
    conv: CONV_IMPLS.im2col,
    pool: poolByReshape,
    firstBlock: enginePooledFirst,
  },
  {
    name: "gather 1st conv + row matmuls + mask pool",
    conv: CONV_IMPLS.im2col,
    pool: poolByReshape,
    first: gatherConv2d,
  },
];

type Params = { w1: np.Array; b1: np.Array; w2: np.Array; b2: np.Array; w3: np.Array };

function geometry(size: number): ConvGeometry {
  const a = axisWindow(size, 3, 1, "valid");
  return { stride: 1, h: a, w: a };
}
const pool2 = (size: number) => axisWindow(size, 2, 2, "valid");

function lossFn(v: Variant) {
  return (p: Params, x: np.Array, onehot: np.Array): np.Array => {
    const first = v.first ?? ((x: np.Array, w: np.Array, g: ConvGeometry) => v.conv.conv2d(x, w, g));
    let h: np.Array;
    if (v.firstBlock) h = v.firstBlock(x, p.w1, p.b1);
    else {
      h = first(x, p.w1, geometry(28)).add(p.b1.reshape([-1, 1, 1])); // [N, 32, 26, 26]
      h = v.pool(nn.relu(h), "max", pool2(26), pool2(26)); // [N, 32, 13, 13]
    }
    h = v.conv.conv2d(h, p.w2, geometry(13)).add(p.b2.reshape([-1, 1, 1])); // [N, 64, 11, 11]
    h = v.pool(nn.relu(h), "max", pool2(11), pool2(11)); // [N, 64, 5, 5]
    const logits = np.matmul(h.reshape([BATCH, -1]), p.w3.transpose()); // [N, 10]
    return nn
      .logSoftmax(logits)
      .mul(onehot)
      .sum()
      .mul(-1 / BATCH);
  };
}

function makeParams(): Params {
  const k = random.split(random.key(0), 5);
  const u = (i: number, shape: number[], fanIn: number) =>
    random.uniform(k.ref.slice(i), shape, { minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn) });
  const p = {
    w1: u(0, [32, 1, 3, 3], 9),
    b1: u(1, [32], 9),
    w2: u(2, [64, 32, 3, 3], 288),
    b2: u(3, [64], 288),
    w3: u(4, [10, 1600], 1600),
  };
  k.dispose();
  return p;
}

/** Milliseconds of this process's CPU time, or wall time with WALL_CLOCK=1. */
function now(): number {
  if (process.env.WALL_CLOCK === "1") return performance.now();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function measure(v: Variant, x: np.Array, onehot: np.Array, params: Params) {
  const step = jit(valueAndGrad(lossFn(v)));
  const run = async () => {
    const [loss, grads] = step(tree.ref(params), x.ref, onehot.ref);
    await blockUntilReady(grads);
    const value = (await loss.data())[0]!;
    tree.dispose(grads);
    return value;
  };
  const t0 = now();
  const first = await run(); // compile + first step
  const compileMs = now() - t0;
  let steps = 0;
  const start = now();
  while (steps < 20 && (steps < 2 || now() - start < 4000)) {
    await run();
    steps++;
  }
  const seconds = (now() - start) / 1000;
  step.dispose();
  return { loss: first, compileMs, samplesPerSec: (steps * BATCH) / seconds };
}

await init("wasm");
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;
const rounds = Number(process.argv[3] ?? 2);
const x = random.uniform(random.key(1), [BATCH, 1, 28, 28]);
const labels = random.randint(random.key(2), { minval: 0, maxval: 10, shape: [BATCH] });
const onehot = nn.oneHot(labels, 10);
const params = makeParams();
console.log(`conv micro-benchmark, batch ${BATCH}, jit(valueAndGrad), Wasm single thread`);
const chosen = VARIANTS.filter((v) => !filter || filter.test(v.name));
const best = new Map<string, Awaited<ReturnType<typeof measure>>>();
const failed = new Map<string, string>();
for (let round = 0; round < rounds; round++) {
  for (const v of chosen) {
    if (failed.has(v.name)) continue;
    try {
      const r = await measure(v, x, onehot, params);
      const prev = best.get(v.name);
      if (!prev || r.samplesPerSec > prev.samplesPerSec) best.set(v.name, r);
    } catch (err) {
      failed.set(v.name, (err as Error).message.split("\n")[0]!);
    }
  }
}
for (const v of chosen) {
  const r = best.get(v.name);
  const line = r
    ? `${r.samplesPerSec.toFixed(0).padStart(6)} samples/s  (compile+first ${r.compileMs.toFixed(0)} ms, loss ${r.loss.toFixed(5)})`
    : `failed: ${failed.get(v.name)}`;
  console.log(`${v.name.padEnd(48)} ${line}`);
}
