import { computeNormalization, generateShapes } from "@layerlab/data-core";
import { buildTemplate, type TrainEventOf } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { train } from "../src/train";

const shapes = generateShapes({ size: 12, countPerClass: 60, color: true, seed: 4 });
const spec = buildTemplate(
  "simple-nn",
  { inputShape: [...shapes.shape], classes: [...shapes.classes] },
  { hidden: [32] },
);

describe("train: config.normalization", () => {
  it("reports the training split's statistics for 'per-channel' and 'global'", () => {
    // Colour shapes: three channels whose means differ, so the two modes disagree.
    const perChannel = train({ spec, config: { validationSplit: 0 }, dataset: shapes });
    const global = train({ spec, config: { validationSplit: 0, normalization: "global" }, dataset: shapes });
    expect(perChannel.normalization).toEqual(computeNormalization(shapes.train, shapes.shape));
    expect(global.normalization).toEqual(computeNormalization(shapes.train, shapes.shape, undefined, "global"));
    const [m0, m1, m2] = global.normalization.mean;
    expect(m1).toBe(m0);
    expect(m2).toBe(m0);
    expect(new Set(perChannel.normalization.mean).size).toBe(3);
    perChannel.dispose();
    global.dispose();
  });

  it("with 'none' reports mean 0 / std 1 per channel and still learns", async () => {
    const grey = generateShapes({ size: 16, countPerClass: 100, seed: 4 });
    const greySpec = buildTemplate(
      "simple-nn",
      { inputShape: [...grey.shape], classes: [...grey.classes] },
      { hidden: [32] },
    );
    const run = train({
      spec: greySpec,
      config: { normalization: "none", learningRate: 1e-2, batchSize: 16, epochs: 6, validationSplit: 0.2, seed: 2 },
      dataset: grey,
      evaluateTest: false,
    });
    expect(run.normalization).toEqual({ mean: [0], std: [1] });
    const epochs: TrainEventOf<"epoch">[] = [];
    for await (const e of run) {
      if (e.type === "epoch") epochs.push(e);
      if (e.type === "error") throw new Error(e.message);
    }
    run.dispose();
    expect(epochs).toHaveLength(6);
    const first = epochs[0]!;
    const last = epochs.at(-1)!;
    // Measured: loss 1.04 → 0.64, training accuracy 0.42 → 0.73 (chance is 1/3 for three shapes).
    expect(last.trainLoss).toBeLessThan(0.8 * first.trainLoss);
    expect(last.trainAccuracy).toBeGreaterThan(0.6);
  });
});
