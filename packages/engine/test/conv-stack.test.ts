// The leading convolutions of a CNN train on the project's own Wasm kernels (src/native) while jax-js runs
// the rest of the model. The split must compute what jax-js computes for the whole model: the same logits'
// gradients for every parameter (float32, 1e-5), gradients that central finite differences confirm, and
// the same training run step by step.
import { numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import type { Dataset } from "@layerlab/data-core";
import type { LayerInput, ModelSpec, Shape } from "@layerlab/spec";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEvaluator, evaluate } from "../src/evaluate";
import type { ArrayMap } from "../src/layers/types";
import { buildModel, type Model } from "../src/model";
import { ConvStack, convStackPlan, setConvStack } from "../src/native/convStack";
import { instantiateConvKernels, KernelArena } from "../src/native/kernels";
import { train } from "../src/train";
import { randomDataset } from "./helpers/data";
import { initWasm, uniform } from "./layers.support";

beforeAll(() => initWasm());
afterEach(() => setConvStack(true));

const modelOf = (inShape: Shape, layers: LayerInput[], units = 3): Model =>
  buildModel({
    format: "layerlab.model/1",
    name: "conv-stack",
    input: { shape: inShape },
    layers: [...layers, { kind: "flatten" }, { kind: "dense", units }],
    classes: Array.from({ length: units }, (_, i) => `c${i}`),
  });

type Case = { name: string; inShape: Shape; layers: LayerInput[]; stages: number };
const CASES: Case[] = [
  {
    name: "the MNIST CNN's two conv + relu + pool blocks",
    inShape: [1, 12, 12],
    layers: [
      { kind: "conv2d", filters: 4, kernel: 3, activation: "relu" },
      { kind: "maxPool2d", size: 2 },
      { kind: "conv2d", filters: 8, kernel: 3, activation: "relu" },
      { kind: "maxPool2d", size: 2 },
    ],
    stages: 2,
  },
  {
    name: "three input channels, same padding, stride 2, pool 3, no activation",
    inShape: [3, 13, 12],
    layers: [
      { kind: "conv2d", filters: 5, kernel: 3, stride: 2, padding: "same" },
      { kind: "maxPool2d", size: 3 },
    ],
    stages: 1,
  },
  {
    name: "a conv without pool or bias, then one whose pool drops a row and a column",
    inShape: [2, 9, 8],
    layers: [
      { kind: "conv2d", filters: 3, kernel: 3, bias: false, activation: "relu" },
      { kind: "conv2d", filters: 6, kernel: 2, activation: "relu" },
      { kind: "maxPool2d", size: 2 },
    ],
    stages: 2,
  },
  {
    name: "two conv + relu + pool blocks, then dense layers with a relu and with none",
    inShape: [1, 14, 14],
    layers: [
      { kind: "conv2d", filters: 4, kernel: 3, activation: "relu" },
      { kind: "maxPool2d", size: 2 },
      { kind: "conv2d", filters: 6, kernel: 3, activation: "relu" },
      { kind: "maxPool2d", size: 2 },
      { kind: "flatten" },
      { kind: "dense", units: 7, activation: "relu" },
      { kind: "dense", units: 5 },
    ],
    stages: 4,
  },
  {
    name: "three channels, a conv without pool, then a dense layer without bias",
    inShape: [3, 7, 6],
    layers: [
      { kind: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "relu" },
      { kind: "flatten" },
      { kind: "dense", units: 6, bias: false, activation: "relu" },
    ],
    stages: 2,
  },
  {
    name: "a stack of one conv, then batch norm and an average pool in jax-js",
    inShape: [2, 8, 8],
    layers: [
      { kind: "conv2d", filters: 4, kernel: 3, padding: "same" },
      { kind: "batchNorm" },
      { kind: "avgPool2d", size: 2 },
    ],
    stages: 1,
  },
];

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return worst;
}

/** Σ logits · w and its gradient for every parameter, by jax-js alone or with the stack in front. */
async function gradients(model: Model, viaStack: boolean, seed: number, batch: number) {
  const vars = model.init(seed);
  const x = uniform(seed + 1, [batch, ...model.spec.input.shape], -2, 2);
  const w = uniform(seed + 2, [batch, model.spec.classes.length]);
  const sumOf = (from: number) => (params: ArrayMap, input: np.Array) =>
    model
      .apply({ params, state: tree.ref(vars.state) }, input, { mode: "train", from })
      .logits.mul(w.ref)
      .sum();
  const out: Record<string, Float32Array> = {};
  let value: number;
  if (!viaStack) {
    const [v, g] = valueAndGrad((p: ArrayMap) => sumOf(0)(p, x.ref))(tree.ref(vars.params));
    value = v.item() as number;
    for (const [name, a] of Object.entries(g as ArrayMap)) out[name] = a.dataSync() as Float32Array;
  } else {
    const plan = convStackPlan(model)!;
    const stack = await ConvStack.create(plan, batch);
    const host = (a: np.Array) => a.ref.dataSync() as Float32Array;
    const features = stack.forward(
      host(x),
      plan.params.map((n) => host(vars.params[n]!)),
    );
    const head = Object.fromEntries(
      Object.entries(vars.params)
        .filter(([n]) => !plan.params.includes(n))
        .map(([n, a]) => [n, a.ref]),
    );
    const [v, [gHead, gFeatures]] = valueAndGrad(sumOf(plan.head), { argnums: [0, 1] })(
      head,
      np.array(features, { shape: [batch, ...plan.features] }),
    );
    value = v.item() as number;
    for (const [name, a] of Object.entries(gHead as ArrayMap)) out[name] = a.dataSync() as Float32Array;
    const stackGrads = stack.backward(gFeatures.dataSync() as Float32Array);
    plan.params.forEach((name, i) => {
      out[name] = stackGrads[i]!;
    });
  }
  tree.dispose([vars, x, w]);
  return { value, grads: out };
}

describe("the native conv stack", () => {
  it.each(CASES)("$name: same value and gradients as jax-js alone (float32, 1e-5)", async (c) => {
    const model = modelOf(c.inShape, c.layers);
    const plan = convStackPlan(model);
    expect(plan?.stages.length).toBe(c.stages);
    const jax = await gradients(model, false, 5, 4);
    const native = await gradients(model, true, 5, 4);
    expect(Math.abs(native.value - jax.value) / (1 + Math.abs(jax.value))).toBeLessThan(1e-5);
    expect(Object.keys(native.grads).sort()).toEqual(Object.keys(jax.grads).sort());
    for (const name of Object.keys(jax.grads)) {
      expect(maxRelDiff(native.grads[name]!, jax.grads[name]!), name).toBeLessThan(1e-5);
    }
  });

  it.each(CASES)("$name: the stack's gradients agree with central finite differences", async (c) => {
    const model = modelOf(c.inShape, c.layers);
    const plan = convStackPlan(model)!;
    const batch = 2;
    const stack = await ConvStack.create(plan, batch);
    const vars = model.init(7);
    const params = plan.params.map((n) => vars.params[n]!.ref.dataSync() as Float32Array);
    tree.dispose(vars);
    const x = uniform(8, [batch, ...c.inShape], -2, 2).dataSync() as Float32Array;
    const w = uniform(9, [batch, ...plan.features]).dataSync() as Float32Array;
    // L = Σ features · w, summed in float64. The stack is piecewise linear in each parameter (products,
    // relu, max), so within a piece both one-sided differences are exact up to float32 round-off; where they
    // disagree, ±eps crosses a kink (a window's maximum or a relu changing), and that coordinate is skipped.
    const loss = (p: Float32Array[]) => stack.forward(x, p).reduce((s, f, i) => s + f * w[i]!, 0);
    const base = loss(params);
    const analytic = stack.backward(w);
    const eps = 1e-3;
    let worst = 0;
    let checked = 0;
    let kinks = 0;
    params.forEach((p, k) => {
      const step = Math.max(1, Math.floor(p.length / 10));
      for (let i = 0; i < p.length; i += step) {
        const at = (sign: number) =>
          loss(params.map((q, j) => (j === k ? q.map((v, e) => (e === i ? v + sign * eps : v)) : q)));
        const forward = (at(1) - base) / eps;
        const backward = (base - at(-1)) / eps;
        checked++;
        if (Math.abs(forward - backward) > 1e-3 * (1 + Math.abs(forward))) {
          kinks++;
          continue;
        }
        const numeric = (forward + backward) / 2;
        worst = Math.max(worst, Math.abs(analytic[k]![i]! - numeric) / (1 + Math.abs(numeric)));
      }
    });
    expect(checked).toBeGreaterThan(10);
    expect(kinks / checked).toBeLessThan(0.2);
    expect(worst).toBeLessThan(1e-3);
  });

  /** 12 logged steps of Adam on `spec`, by jax-js alone and with the stack: the same losses step by step. */
  async function expectSameTraining(spec: ModelSpec, dataset: Dataset) {
    const runLosses = async (native: boolean) => {
      setConvStack(native);
      const run = train({
        spec,
        config: { optimizer: "adam", learningRate: 1e-2, batchSize: 16, epochs: 2, seed: 11, validationSplit: 0 },
        dataset,
        logEvery: 1,
        evaluateTest: false,
        gradientStats: true,
      });
      const losses: number[] = [];
      let gradientEvents = 0;
      for await (const ev of run) {
        if (ev.type === "error") throw new Error(ev.message);
        if (ev.type === "batch") losses.push(ev.loss);
        if (ev.type === "gradients") gradientEvents++;
      }
      const weights = await run.lastWeights();
      run.dispose();
      return { losses, gradientEvents, weights };
    };
    const jax = await runLosses(false);
    const native = await runLosses(true);
    expect(native.losses.length).toBe(12);
    expect(native.gradientEvents).toBe(jax.gradientEvents);
    native.losses.forEach((loss, i) => {
      expect(Math.abs(loss - jax.losses[i]!) / (1 + Math.abs(jax.losses[i]!)), `step ${i + 1}`).toBeLessThan(1e-4);
    });
    // The losses moved: the run trained, and both paths followed it.
    expect(Math.abs(native.losses[11]! - native.losses[0]!)).toBeGreaterThan(1e-3);
    expect(native.weights.length).toBe(jax.weights.length);
  }

  it("trains step by step as jax-js alone does, with dropout and batch norm in the rest of the model", async () => {
    const layers: LayerInput[] = [
      { kind: "conv2d", filters: 4, kernel: 3, activation: "relu" },
      { kind: "maxPool2d", size: 2 },
      { kind: "conv2d", filters: 6, kernel: 3, padding: "same", activation: "relu" },
      { kind: "batchNorm" },
      { kind: "dropout", rate: 0.3 },
    ];
    const spec = modelOf([1, 10, 10], layers, 4).spec;
    expect(convStackPlan(buildModel(spec))?.head).toBe(3);
    await expectSameTraining(spec, randomDataset([1, 10, 10], 4, 96, 3));
  });

  it("trains step by step as jax-js alone does with a hidden dense layer on the stack", async () => {
    const layers: LayerInput[] = [
      { kind: "conv2d", filters: 4, kernel: 3, activation: "relu" },
      { kind: "maxPool2d", size: 2 },
      { kind: "flatten" },
      { kind: "dense", units: 8, activation: "relu" },
    ];
    const spec = modelOf([1, 10, 10], layers, 4).spec;
    expect(convStackPlan(buildModel(spec))?.stages.map((s) => s.dense)).toEqual([false, true]);
    await expectSameTraining(spec, randomDataset([1, 10, 10], 4, 96, 3));
  });

  it("evaluates as jax-js alone does: the same loss, predictions and confusion, over batches and a partial one", async () => {
    const layers: LayerInput[] = [
      { kind: "conv2d", filters: 4, kernel: 3, activation: "relu" },
      { kind: "maxPool2d", size: 2 },
      { kind: "conv2d", filters: 6, kernel: 3, padding: "same", activation: "relu" },
      { kind: "batchNorm" },
    ];
    const model = modelOf([1, 10, 10], layers, 4);
    const dataset = randomDataset([1, 10, 10], 4, 150, 5);
    const vars = model.init(12);
    // 150 images in batches of 100: a second, partial batch, and within each the stack's parts of 64 samples.
    const run = async (native: boolean, stack: ConvStack | null = null) => {
      setConvStack(native);
      const evaluator = createEvaluator(model, { stack });
      try {
        return await evaluate(model, vars, dataset.train, {
          normalization: { mean: [0.5], std: [0.25] },
          batchSize: 100,
          evaluator,
          deadUnitSample: 0,
        });
      } finally {
        evaluator.dispose();
      }
    };
    const jax = await run(false);
    const native = await run(true);
    // A training run's stack of 32, which the evaluator uses and leaves to its owner.
    const trainingStack = await ConvStack.create(convStackPlan(model)!, 32);
    const shared = await run(true, trainingStack);
    trainingStack.dispose();
    tree.dispose(vars);
    for (const evaluation of [native, shared]) {
      expect(evaluation.count).toBe(150);
      expect(Math.abs(evaluation.loss - jax.loss) / (1 + Math.abs(jax.loss))).toBeLessThan(1e-5);
      expect(Array.from(evaluation.predictions)).toEqual(Array.from(jax.predictions));
      expect(evaluation.confusion).toEqual(jax.confusion);
    }
  });

  it("is used only for a leading chain of convolutions that the rest of the model does not look inside", () => {
    const conv = { kind: "conv2d", filters: 2, kernel: 3, activation: "relu" } as const;
    expect(convStackPlan(modelOf([1, 8, 8], [])), "no conv").toBeNull();
    expect(convStackPlan(modelOf([1, 8, 8], [{ ...conv, activation: "tanh" }])), "tanh").toBeNull();
    expect(convStackPlan(modelOf([1, 8, 8], [{ kind: "maxPool2d", size: 2 }, conv])), "pool first").toBeNull();
    const overlapping = convStackPlan(modelOf([1, 8, 8], [conv, { kind: "maxPool2d", size: 3, stride: 2 }]));
    expect(overlapping?.stages.map((s) => s.pool)).toEqual([null]);
    expect(overlapping?.head).toBe(1);
    const residual = buildModel({
      format: "layerlab.model/2",
      name: "residual",
      input: { shape: [2, 6, 6] },
      layers: [
        { id: "a", kind: "conv2d", filters: 2, kernel: 3, padding: "same", activation: "relu" },
        { id: "b", kind: "conv2d", filters: 2, kernel: 3, padding: "same" },
        { id: "sum", kind: "add", inputs: ["b", "input"] },
        { id: "f", kind: "flatten" },
        { id: "d", kind: "dense", units: 2 },
      ],
      classes: ["x", "y"],
    });
    expect(convStackPlan(residual), "a shortcut reads the model's input").toBeNull();
  });

  it("takes the dense layers after the convolutions' flatten, but not the model's last layer", () => {
    const conv = { kind: "conv2d", filters: 2, kernel: 3, activation: "relu" } as const;
    const dense = (units: number, activation?: "relu" | "tanh") =>
      ({ kind: "dense", units, ...(activation && { activation }) }) as const;
    const plainModel = (layers: LayerInput[]) =>
      buildModel({
        format: "layerlab.model/1",
        name: "dense-stages",
        input: { shape: [1, 8, 8] },
        layers,
        classes: ["a", "b", "c"],
      });
    const mlpLike = convStackPlan(plainModel([conv, { kind: "flatten" }, dense(4, "relu"), dense(3)]));
    expect(mlpLike?.stages.map((s) => [s.layer, s.dense])).toEqual([
      [0, false],
      [2, true],
    ]);
    expect(mlpLike?.head).toBe(3);
    expect(mlpLike?.features).toEqual([4]);
    expect(mlpLike?.params).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    // The dense stage is the conv over the whole 6×6 output: its kernel is the image, its output one pixel.
    expect(mlpLike?.stages[1]).toMatchObject({ c: 2, h: 6, w: 6, kh: 6, kw: 6, ho: 1, wo: 1, o: 4, relu: true });
    const tanh = convStackPlan(plainModel([conv, { kind: "flatten" }, dense(4, "tanh"), dense(3)]));
    expect(tanh?.stages.length, "a tanh dense stays in jax-js").toBe(1);
    expect(tanh?.head, "and so does the flatten before it").toBe(1);
    const dropout = convStackPlan(
      plainModel([conv, { kind: "flatten" }, dense(4), { kind: "dropout", rate: 0.5 }, dense(3)]),
    );
    expect(dropout?.stages.length).toBe(2);
    expect(dropout?.head).toBe(3);
    expect(convStackPlan(plainModel([{ kind: "flatten" }, dense(4, "relu"), dense(3)])), "no conv").toBeNull();
  });
});

describe("the kernel module's matrix products", () => {
  const SHAPES: [number, number, number][] = [
    [1, 1, 1],
    [4, 9, 8],
    [5, 300, 11],
    [13, 600, 19],
    [64, 7, 40],
  ];

  /** A·B (or Aᵀ·B from A stored [k, lda]) by the kernels, overwritten then accumulated, against float64 sums. */
  async function check(m: number, k: number, n: number, transposedA: boolean) {
    const { exports: kernels, memory } = await instantiateConvKernels();
    const arena = new KernelArena(memory);
    const lda = transposedA ? m + 3 : k; // a wider A: only its first m columns are read
    const aFloats = transposedA ? k * lda : m * k;
    const [a, b, c] = [arena.reserve(aFloats), arena.reserve(k * n), arena.reserve(m * n)];
    arena.commit();
    let seed = 1;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647) * 2 - 1;
    };
    const A = arena.f32(a, aFloats).map(rand);
    const B = arena.f32(b, k * n).map(rand);
    arena.f32(a, aFloats).set(A);
    arena.f32(b, k * n).set(B);
    arena.f32(c, m * n).fill(Number.NaN); // overwritten, never read
    const run = (accumulate: boolean) =>
      transposedA ? kernels.sgemmTN(a, lda, b, c, m, k, n, accumulate) : kernels.sgemm(a, b, c, m, k, n, accumulate);
    run(false);
    const once = arena.f32(c, m * n).slice();
    run(true);
    const twice = arena.f32(c, m * n);
    const aAt = (i: number, p: number) => (transposedA ? A[p * lda + i]! : A[i * k + p]!);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += aAt(i, p) * B[p * n + j]!;
        expect(Math.abs(once[i * n + j]! - sum), `[${i}, ${j}]`).toBeLessThan(1e-5 * (1 + Math.sqrt(k)));
        expect(Math.abs(twice[i * n + j]! - 2 * sum), `[${i}, ${j}] accumulated`).toBeLessThan(
          2e-5 * (1 + Math.sqrt(k)),
        );
      }
    }
  }

  it.each(SHAPES)("A[%i×%i] · B[·×%i] matches float64 sums, overwritten and accumulated", (m, k, n) =>
    check(m, k, n, false),
  );

  it.each(SHAPES)("Aᵀ (A stored [%i×…]ᵀ, depth %i) · B[·×%i] matches float64 sums", (m, k, n) => check(m, k, n, true));
});
