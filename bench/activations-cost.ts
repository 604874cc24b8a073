/**
 * Micro-benchmark (not a test): the cost of `activations()` — every layer's
 * output in eval mode — for one input (the inside views, per drawing) and for
 * 128 (the doctor's dead-unit sample, once per epoch), on the MLP and CNN
 * templates at 1×28×28, Wasm single thread, mean of 5 warm calls.
 *
 *   npx tsx bench/activations-cost.ts
 */
import { activations, buildModel, initBackend } from "@layerlab/engine";
import { buildTemplate } from "@layerlab/spec";

await initBackend();
const data = { inputShape: [1, 28, 28] as [number, number, number], classes: Array.from({ length: 10 }, String) };
for (const id of ["mlp", "cnn"] as const) {
  const model = buildModel(buildTemplate(id, data));
  const vars = model.init(1);
  for (const n of [1, 128]) {
    const x = new Float32Array(n * 784).fill(0.3);
    await activations(model, vars, x, n);
    const start = performance.now();
    for (let r = 0; r < 5; r++) await activations(model, vars, x, n);
    console.log(`${id} ×${n}: ${((performance.now() - start) / 5).toFixed(1)} ms`);
  }
}
process.exit(0);
