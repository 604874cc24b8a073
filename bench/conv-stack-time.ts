/**
 * How long the MNIST CNN's conv stack (its two conv + relu + pool blocks on the engine's own kernels) takes for
 * a batch of 64 in Node, forward alone and forward + backward, on one thread and on a thread per core,
 * alternating (not a test). The rest of a training step is jax-js's head, the optimizer and host copies.
 *
 *   npx tsx bench/conv-stack-time.ts [rounds]
 */
import { availableParallelism } from "node:os";
import { enableKernelThreads } from "@layerlab/engine/node";
import { median } from "./summary";
import { MNIST_CNN } from "./workloads";

enableKernelThreads();
const { buildModel, initBackend } = await import("@layerlab/engine");
const { ConvStack, convStackPlan } = await import("../packages/engine/src/native/convStack");
type Stack = Awaited<ReturnType<typeof ConvStack.create>>;
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
