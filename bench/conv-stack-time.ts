/**
 * How long the MNIST CNN's conv stack (its two conv + relu + pool blocks and its hidden dense layer, on the
 * engine's own kernels) takes for a batch of 64 in Node, forward alone and forward + backward, on one thread
 * and on a thread per core, alternating (not a test), then the rate of each of its large products alone on one
 * thread, in GFLOP/s. The rest of a training step is jax-js's head, the optimizer and host copies.
 *
 *   npx tsx bench/conv-stack-time.ts [rounds]
 */
import { availableParallelism } from "node:os";
import type { ConvStack as Stack } from "@layerlab/engine";
import { enableKernelThreads, enableRelaxedSimd } from "@layerlab/engine/node";
import { median } from "./summary";
import { MNIST_CNN } from "./workloads";

enableKernelThreads();
enableRelaxedSimd(); // as a CLI or server run has it
const { buildModel, ConvStack, convStackPlan, initBackend } = await import("@layerlab/engine");
const { instantiateConvKernels, KernelArena } = await import("../packages/engine/src/native/kernels");
await initBackend();

const BATCH = 64;
const REPEATS = 30;
const rounds = Number(process.argv[2] ?? 3);
const model = buildModel(MNIST_CNN.spec);
const plan = convStackPlan(model);
if (!plan) throw new Error("the MNIST CNN has no conv stack");
const vars = model.init(1);
const weights = await Promise.all(plan.params.map((n) => vars.params[n]!.ref.data() as Promise<Float32Array>));
const x = new Float32Array(BATCH * 28 * 28).map((_, i) => (i % 255) / 255);
const featureSize = plan.features.reduce((a, b) => a * b, 1);
const gradient = new Float32Array(BATCH * featureSize).map((_, i) => ((i % 17) - 8) / 100);

const step = (stack: Stack) => {
  stack.forward(x, weights);
  stack.backward(gradient);
};
const timeOf = (run: () => void) => {
  const start = performance.now();
  for (let i = 0; i < REPEATS; i++) run();
  return (performance.now() - start) / REPEATS;
};
const results = new Map<number, { forward: number[]; both: number[] }>();
for (let round = 0; round < rounds; round++) {
  for (const threads of [1, availableParallelism()]) {
    const stack = await ConvStack.create(plan, BATCH, threads);
    for (let i = 0; i < 5; i++) step(stack);
    const forward = timeOf(() => stack.forward(x, weights));
    const both = timeOf(() => step(stack));
    stack.dispose();
    const entry = results.get(stack.threads) ?? { forward: [], both: [] };
    entry.forward.push(forward);
    entry.both.push(both);
    results.set(stack.threads, entry);
    console.log(
      `round ${round + 1}, ${stack.threads} thread(s): forward ${forward.toFixed(1)} ms, + backward ${both.toFixed(1)} ms`,
    );
  }
}
for (const [threads, r] of results) {
  console.log(
    `median, ${threads} thread(s): forward ${median(r.forward).toFixed(1)} ms, forward + backward ${median(r.both).toFixed(1)} ms`,
  );
}

// The batch-64 products of a step: [m, k] · [k, n], or [k, m]ᵀ · [k, n] for a weight gradient.
const PRODUCTS: { name: string; m: number; k: number; n: number; transposedA: boolean }[] = [
  { name: "conv2 forward", m: 7744, k: 288, n: 64, transposedA: false },
  { name: "conv2 input gradient", m: 7744, k: 64, n: 288, transposedA: false },
  { name: "conv2 weight gradient", m: 288, k: 7744, n: 64, transposedA: true },
  { name: "conv1 forward", m: 43264, k: 9, n: 32, transposedA: false },
];
const { exports: kernels, memory, relaxed } = await instantiateConvKernels();
const arena = new KernelArena(memory);
const operands = PRODUCTS.map(({ m, k, n }) => ({
  a: arena.reserve(m * k),
  b: arena.reserve(k * n),
  c: arena.reserve(m * n),
}));
arena.commit();
PRODUCTS.forEach(({ name, m, k, n, transposedA }, i) => {
  const { a, b, c } = operands[i]!;
  arena.f32(a, m * k).fill(0.5);
  arena.f32(b, k * n).fill(0.25);
  const run = () =>
    transposedA ? kernels.sgemmTN(a, m, b, c, m, k, n, false) : kernels.sgemm(a, b, c, m, k, n, false);
  run();
  const ms = median(Array.from({ length: 3 * rounds }, () => timeOf(run)));
  const rate = (2 * m * k * n) / ms / 1e6;
  console.log(
    `${name} [${m}×${k}]·[${k}×${n}]: ${ms.toFixed(2)} ms, ${rate.toFixed(1)} GFLOP/s (one thread, FMA ${relaxed})`,
  );
});
