import { diagnose, type TrainEventOf } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { appendEvent, emptySeries } from "../src/charts/series";
import { initialStudio } from "../src/state/studio";
import { doctorInput } from "../src/train/doctorInput";
import type { LocalRun, RunResults } from "../src/train/trainer";

function epoch(seq: number, n: number): TrainEventOf<"epoch"> {
  return {
    seq,
    time: 1000 + seq,
    type: "epoch",
    epoch: n,
    trainLoss: 1 / n,
    trainAccuracy: 0.5 + n / 20,
    valLoss: 1 / n,
    valAccuracy: 0.5 + n / 20,
    learningRate: 1e-3,
    seconds: 1,
    samplesPerSec: 100,
  };
}

function run(results: RunResults | null): LocalRun {
  const series = emptySeries();
  for (let n = 1; n <= 4; n++) appendEvent(series, epoch(n, n));
  return { id: "r", name: "r", where: "browser", studio: initialStudio(), series, results, version: 0 };
}

const results: RunResults = {
  loss: 0.4,
  accuracy: 0.8,
  confusion: [
    [40, 10],
    [10, 40],
  ],
  perClass: [
    { precision: 0.8, recall: 0.8, support: 50 },
    { precision: 0.8, recall: 0.8, support: 50 },
  ],
  predictions: new Int32Array(0),
  test: { shape: [1, 1, 1], classes: ["a", "b"], images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 },
  weights: null,
};

describe("doctorInput", () => {
  it("hands the run's dead-unit shares and class counts to the doctor, which then finds dead ReLUs", () => {
    const layer = initialStudio().spec.layers.findIndex((l) => l.kind === "dense");
    const input = doctorInput(run({ ...results, deadUnits: [{ layer, fraction: 0.8 }] }));
    expect(input.deadUnits).toEqual([{ layer, fraction: 0.8 }]);
    expect(input.classCounts).toEqual([50, 50]);
    expect(input.history).toHaveLength(4);
    expect(diagnose(input).map((f) => f.id)).toContain("dead-relu");
    // Without results or epoch measurements there is nothing to judge units by.
    const early = doctorInput(run(null));
    expect(early.deadUnits).toBeUndefined();
    expect(diagnose(early).map((f) => f.id)).not.toContain("dead-relu");
  });

  it("judges dead units while the run trains from the latest epoch that measured them", () => {
    const layer = initialStudio().spec.layers.findIndex((l) => l.kind === "dense");
    const training = run(null);
    appendEvent(training.series, { ...epoch(5, 5), deadUnits: [{ layer, fraction: 0.95 }] });
    appendEvent(training.series, epoch(6, 6)); // an epoch recorded without the measurement keeps the last one
    expect(doctorInput(training).deadUnits).toEqual([{ layer, fraction: 0.95 }]);
    expect(diagnose(doctorInput(training)).find((f) => f.id === "dead-relu")?.severity).toBe("problem");
    // The test evaluation's measurement, once there, wins.
    const done = { ...training, results: { ...results, deadUnits: [{ layer, fraction: 0.1 }] } };
    expect(doctorInput(done).deadUnits).toEqual([{ layer, fraction: 0.1 }]);
  });
});

describe("doctorInput's step count", () => {
  /** A one-epoch run at chance on the three shapes, done after `steps` steps (each logged). */
  function atChance(steps: number): LocalRun {
    const series = emptySeries();
    let seq = 0;
    for (let step = 1; step <= steps; step++) {
      appendEvent(series, {
        seq: seq++,
        time: 1000 + seq,
        type: "batch",
        epoch: 1,
        step,
        loss: 1.1,
        accuracy: 0.33,
        learningRate: 1e-3,
        samplesPerSec: 100,
      });
    }
    appendEvent(series, { ...epoch(seq++, 1), trainLoss: 1.1, trainAccuracy: 0.33, valLoss: 1.1, valAccuracy: 0.33 });
    appendEvent(series, {
      seq: seq++,
      time: 2000,
      type: "done",
      epochs: 1,
      stoppedEarly: false,
      testLoss: 1.1,
      testAccuracy: 0.33,
      seconds: 1,
      artifacts: [],
    });
    return { id: "r", name: "r", where: "browser", studio: initialStudio(), series, results: null, version: 0 };
  }

  it("is the last logged step, so a 4-step run at chance is not called one that learned nothing", () => {
    const short = doctorInput(atChance(4));
    expect(short.steps).toBe(4);
    expect(diagnose(short).map((f) => f.id)).not.toContain("learned-nothing");
    const long = doctorInput(atChance(60));
    expect(long.steps).toBe(60);
    expect(diagnose(long).map((f) => f.id)).toContain("learned-nothing");
  });
});
