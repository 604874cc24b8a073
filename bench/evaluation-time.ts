/**
 * How long evaluating the MNIST CNN on a test set of 10,000 images takes in Node (not a test): the evaluator
 * with the leading convolutions on the engine's own kernels against jax-js alone, interleaved, with the
 * threads a CLI or server run gives such a model. Prints each round and the medians.
 *
 *   npx tsx bench/evaluation-time.ts [rounds]
 */
import { enableWasmThreads, wasmThreadsFor } from "../packages/engine/src/node";
import { median } from "./summary";
import { MNIST_CNN, syntheticMnist } from "./workloads";

enableWasmThreads(wasmThreadsFor(MNIST_CNN.spec));
const { buildModel, createEvaluator, evaluate, initBackend, setConvStack } = await import("@layerlab/engine");
await initBackend();

const rounds = Number(process.argv[2] ?? 3);
// Random pixels: an evaluation's time does not depend on them, nor on the weights' accuracy.
const testSet = syntheticMnist(10_000).train;
const model = buildModel(MNIST_CNN.spec);
const vars = model.init(1);
const seconds: Record<"stack" | "jax-js", number[]> = { stack: [], "jax-js": [] };
for (let round = 0; round < rounds; round++) {
  for (const path of ["stack", "jax-js"] as const) {
    setConvStack(path === "stack");
    const evaluator = createEvaluator(model);
    const start = performance.now();
    await evaluate(model, vars, testSet, { normalization: { mean: [0.1307], std: [0.3081] }, evaluator });
    seconds[path].push((performance.now() - start) / 1000);
    evaluator.dispose();
    console.log(`round ${round + 1}: ${path} ${seconds[path].at(-1)!.toFixed(2)} s`);
  }
}
const [stack, jax] = [median(seconds.stack), median(seconds["jax-js"])];
console.log(`median: stack ${stack.toFixed(2)} s, jax-js ${jax.toFixed(2)} s (${(jax / stack).toFixed(1)}× faster)`);
