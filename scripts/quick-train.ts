/*
 * Trains a template on MNIST and prints its progress, without a run folder
 * (`npm start` now starts the studio; `npx layerlab train` writes run folders).
 * Usage: npx tsx scripts/quick-train.ts [--template mlp|cnn|…] [--epochs N] [--limit N]
 */
import { parseArgs } from "node:util";
import { loadMnist } from "@layerlab/data-node";
import { train } from "@layerlab/engine";
import { buildTemplate, isTemplateId, TEMPLATE_IDS } from "@layerlab/spec";

const { values } = parseArgs({
  options: {
    template: { type: "string", default: "mlp" },
    epochs: { type: "string", default: "3" },
    limit: { type: "string" },
  },
});
if (!isTemplateId(values.template)) {
  console.error(`unknown template '${values.template}' — use one of ${TEMPLATE_IDS.join(", ")}`);
  process.exit(2);
}
const dataset = await loadMnist();
const spec = buildTemplate(values.template, { inputShape: [...dataset.shape], classes: [...dataset.classes] });
const controller = new AbortController();
process.once("SIGINT", () => controller.abort("interrupted (Ctrl-C)"));
const run = train({
  spec,
  config: { epochs: Number(values.epochs) },
  dataset,
  signal: controller.signal,
  logEvery: 50,
  ...(values.limit ? { limit: Number(values.limit) } : {}),
});
for await (const e of run) {
  if (e.type === "start")
    console.log(
      `${values.template} on MNIST: ${e.paramCount.toLocaleString()} parameters, ${e.trainSamples} training images, backend ${e.backend}`,
    );
  if (e.type === "batch")
    process.stdout.write(
      `\r  epoch ${e.epoch} step ${e.step} loss ${e.loss.toFixed(4)} acc ${(e.accuracy * 100).toFixed(1)}% ${Math.round(e.samplesPerSec)} samples/s   `,
    );
  if (e.type === "epoch")
    console.log(
      `\repoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)} acc ${(e.trainAccuracy * 100).toFixed(2)}% | val loss ${e.valLoss?.toFixed(4)} acc ${((e.valAccuracy ?? 0) * 100).toFixed(2)}% | ${e.seconds.toFixed(1)} s`,
    );
  if (e.type === "done")
    console.log(
      `test accuracy ${((e.testAccuracy ?? 0) * 100).toFixed(2)}% (loss ${e.testLoss?.toFixed(4)}) in ${e.seconds.toFixed(1)} s`,
    );
  if (e.type === "aborted" || e.type === "diverged" || e.type === "error") {
    console.error(`\n${e.type}: ${"message" in e ? e.message : e.reason}`);
    process.exitCode = 1;
  }
}
run.dispose();
