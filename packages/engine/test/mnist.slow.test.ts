import { buildTemplate } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { train } from "../src/train";
import { mnistDataset } from "./helpers/data";

describe("MNIST (slow)", () => {
  it("the MLP template reaches ≥ 97% test accuracy on real MNIST", async () => {
    const dataset = await mnistDataset();
    const spec = buildTemplate("mlp", { inputShape: [...dataset.shape], classes: [...dataset.classes] });
    const run = train({
      spec,
      config: {
        optimizer: "adam",
        learningRate: 1e-3,
        schedule: "cosine",
        batchSize: 64,
        epochs: 4,
        validationSplit: 0.1,
        seed: 0,
      },
      dataset,
      logEvery: 100,
    });
    let done: { testAccuracy: number | null } | null = null;
    for await (const e of run) {
      if (e.type === "epoch")
        console.log(
          `epoch ${e.epoch}: train ${e.trainAccuracy.toFixed(4)} val ${e.valAccuracy?.toFixed(4)} (${e.samplesPerSec.toFixed(0)} samples/s)`,
        );
      if (e.type === "done") done = e;
      if (e.type === "error" || e.type === "diverged") throw new Error(e.message);
    }
    run.dispose();
    console.log(`test accuracy ${done?.testAccuracy}`);
    expect(done?.testAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(run.test?.count).toBe(10000);
  });
});
