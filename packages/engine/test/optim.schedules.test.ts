import { type Schedule, TrainingConfig } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { learningRateAt, type ScheduleConfig, scheduleSummary, warmupSteps } from "../src/optim";

/* Learning rates at chosen steps, worked out by hand from the schedule definitions. */

const config = (learningRate: number, epochs: number, schedule: Schedule): ScheduleConfig => ({
  learningRate,
  epochs,
  schedule,
});

/** The learning rate at each of `steps`. */
const at = (c: ScheduleConfig, stepsPerEpoch: number, steps: number[]) =>
  steps.map((s) => learningRateAt(c, s, stepsPerEpoch));

function expectRates(actual: number[], expected: number[]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((x, i) => {
    expect(x, `rate #${i}`).toBeCloseTo(expected[i]!, 12);
  });
}

describe("learningRateAt", () => {
  it("constant keeps the rate", () => {
    expectRates(
      at(config(0.01, 3, { name: "constant", warmupEpochs: 0 }), 7, [0, 6, 7, 20, 500]),
      [0.01, 0.01, 0.01, 0.01, 0.01],
    );
  });

  it("seed 003's `--lr 0.05 --lr-decay 0.6 --lr-decay-epochs 30,45`: ×0.6 from epoch 30 on, again from 45", () => {
    const seed003 = config(0.05, 60, { name: "step", gamma: 0.6, milestones: [30, 45], warmupEpochs: 0 });
    // 10 steps per epoch: epoch = ⌊step/10⌋; epochs 0–29 → 0.05, 30–44 → 0.03, 45–59 → 0.018.
    expectRates(at(seed003, 10, [0, 299, 300, 449, 450, 599]), [0.05, 0.05, 0.03, 0.03, 0.018, 0.018]);
  });

  it("step counts repeated milestones twice, like torch's MultiStepLR", () => {
    const twice = config(1, 10, { name: "step", gamma: 0.5, milestones: [2, 2], warmupEpochs: 0 });
    expectRates(at(twice, 1, [1, 2]), [1, 0.25]);
  });

  it("exponential multiplies by γ once per epoch, not per step", () => {
    const halving = config(0.1, 5, { name: "exponential", gamma: 0.5, warmupEpochs: 0 });
    expectRates(at(halving, 4, [0, 3, 4, 7, 8, 19]), [0.1, 0.1, 0.05, 0.05, 0.025, 0.1 / 16]);
  });

  it("cosine falls per step from the rate to the minimum, reached at the last step", () => {
    // 1 epoch × 5 steps: progress s/4; lr = 0.01 + 0.09·(1 + cos(π·s/4))/2.
    const cosine = config(0.1, 1, { name: "cosine", minLearningRate: 0.01, warmupEpochs: 0 });
    expectRates(at(cosine, 5, [0, 1, 2, 4, 9]), [
      0.1,
      0.01 + 0.09 * ((1 + Math.SQRT1_2) / 2), // 0.0868198
      0.055,
      0.01,
      0.01, // past the end it stays at the minimum
    ]);
  });

  it("warm-up rises linearly from lr/W to lr over a fractional number of epochs", () => {
    // 0.5 epoch × 4 steps = 2 warm-up steps: 0.1/2, 0.1, then the constant schedule.
    const warm = config(0.1, 2, { name: "constant", warmupEpochs: 0.5 });
    expectRates(at(warm, 4, [0, 1, 2, 7]), [0.05, 0.1, 0.1, 0.1]);
  });

  it("after warm-up the step schedule counts its epochs from the end of warm-up", () => {
    // W = 10; step 10 is the schedule's step 0; its epoch 2 (decay) starts at step 10 + 20 = 30.
    const warmStep = config(0.1, 5, { name: "step", gamma: 0.1, milestones: [2], warmupEpochs: 1 });
    expectRates(at(warmStep, 10, [0, 4, 9, 10, 29, 30]), [0.01, 0.05, 0.1, 0.1, 0.1, 0.01]);
  });

  it("cosine after warm-up spans the remaining steps", () => {
    // 3 epochs × 2 steps, 1 warm-up epoch: W = 2, then 4 cosine steps with progress 0, 1/3, 2/3, 1.
    const warmCosine = config(0.1, 3, { name: "cosine", minLearningRate: 0, warmupEpochs: 1 });
    expectRates(at(warmCosine, 2, [0, 1, 2, 3, 4, 5]), [0.05, 0.1, 0.1, 0.075, 0.025, 0]);
  });

  it("fills defaults through the spec schema: a bare 'step' with milestones given", () => {
    const parsed = TrainingConfig.parse({ learningRate: 0.2, schedule: { name: "step", milestones: [1] }, epochs: 3 });
    expectRates(at(parsed, 2, [1, 2]), [0.2, 0.02]); // default γ = 0.1
  });

  it("refuses steps and epoch lengths that cannot be", () => {
    const c = config(0.1, 1, { name: "constant", warmupEpochs: 0 });
    expect(() => learningRateAt(c, 0, 0)).toThrow(/stepsPerEpoch must be a whole number ≥ 1 \(got 0\)/);
    expect(() => learningRateAt(c, -1, 10)).toThrow(/step must be a whole number ≥ 0/);
    expect(() => learningRateAt(c, 1.5, 10)).toThrow(/step must be a whole number ≥ 0/);
  });
});

describe("warmupSteps", () => {
  it("rounds fractional epochs and never rounds a requested warm-up away", () => {
    expect([warmupSteps(0, 10), warmupSteps(0.3, 10), warmupSteps(0.25, 10), warmupSteps(0.01, 10)]).toEqual([
      0, 3, 3, 1,
    ]);
  });
});

describe("scheduleSummary", () => {
  it("describes each schedule in a few words", () => {
    const summary = (schedule: Schedule) => scheduleSummary(config(0.1, 10, schedule));
    expect(summary({ name: "step", gamma: 0.6, milestones: [30, 45], warmupEpochs: 0 })).toBe(
      "step ×0.6 at epochs 30, 45",
    );
    expect(summary({ name: "step", gamma: 0.1, milestones: [5], warmupEpochs: 0 })).toBe("step ×0.1 at epoch 5");
    expect(summary({ name: "constant", warmupEpochs: 0 })).toBe("constant");
    expect(summary({ name: "exponential", gamma: 0.95, warmupEpochs: 0 })).toBe("exponential ×0.95 per epoch");
    expect(summary({ name: "cosine", minLearningRate: 0.001, warmupEpochs: 2 })).toBe(
      "linear warm-up over 2 epochs, then cosine from 0.1 to 0.001",
    );
  });
});
