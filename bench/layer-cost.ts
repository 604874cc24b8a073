/**
 * Micro-benchmark (not a test): what each layer of a template costs in Node
 * (Wasm, one thread) by `measureLayerCost` — the numbers the builder's Cost
 * view shows after "Measure on this device" — and the model's inference
 * latency. Each layer runs alone on random input of its shape; "fwd+bwd" is
 * its forward and backward compiled together, as a training step runs them.
 *
 *   npx tsx bench/layer-cost.ts [template id, default cnn] [batch size, default 64]
 */
import { initBackend, measureLayerCost } from "@layerlab/engine";
import { buildTemplate, isTemplateId } from "@layerlab/spec";

const id = process.argv[2] ?? "cnn";
const batchSize = Number(process.argv[3] ?? 64);
if (!isTemplateId(id)) throw new Error(`no template '${id}': pass a template id such as mlp or cnn`);
await initBackend();
const data = { inputShape: [1, 28, 28] as [number, number, number], classes: Array.from({ length: 10 }, String) };
const cost = await measureLayerCost(buildTemplate(id, data), { batchSize });
const ms = (x: number | null) => (x === null ? "—" : x.toFixed(2));
console.log(`${id} on MNIST-sized input, ${cost.backend}, batch ${cost.batchSize}, median of ${cost.repeats}`);
console.log("layer            params   act/sample   forward ms  fwd+bwd ms  backward ms");
for (const l of cost.layers) {
  const name = `${l.index + 1} ${l.kind}`.padEnd(14);
  const act = `${(l.activationBytes / 1024).toFixed(1)} KiB`;
  console.log(
    `${name} ${String(l.params).padStart(8)} ${act.padStart(12)} ${ms(l.forwardMs).padStart(12)} ${ms(l.trainingMs).padStart(11)} ${ms(l.backwardMs).padStart(12)}`,
  );
}
for (const l of cost.inference) {
  console.log(
    `inference batch ${l.batchSize}: median ${ms(l.medianMs)} ms, p95 ${ms(l.p95Ms)} ms (${l.samples} passes)`,
  );
}
process.exit(0);
