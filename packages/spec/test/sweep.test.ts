import { describe, expect, it } from "vitest";
import {
  expandSweep,
  isKFold,
  kFoldPlan,
  kFoldResult,
  MAX_SWEEP_RUNS,
  type RunMetrics,
  type SweepOutcome,
  summarizeSweep,
  sweepControlStatement,
  sweepScore,
} from "../src/index";

const lrByOptimizer = {
  axes: [
    { field: "learningRate", values: [1e-4, 1e-3, 1e-2] },
    { field: "optimizer", values: ["sgd", "adam"] },
  ],
};

function metrics(testAcc: number | null, valAcc: (number | null)[] = [0.5]): RunMetrics {
  return {
    epoch: valAcc.map((_, i) => i + 1),
    train_loss: valAcc.map(() => 1),
    train_acc: valAcc.map(() => 0.5),
    val_loss: valAcc.map(() => 1),
    val_acc: valAcc,
    lr: valAcc.map(() => 1e-3),
    epoch_seconds: valAcc.map(() => 1),
    test_loss: testAcc === null ? null : 0.3,
    test_acc: testAcc,
  };
}

describe("expandSweep", () => {
  it("gives one checked config per combination, first axis slowest, every one keeping the base seed", () => {
    const grid = expandSweep({ seed: 7, epochs: 2, optimizer: { name: "sgd", momentum: 0.9 } }, lrByOptimizer);
    if (!grid.ok) throw new Error(grid.problems.join("; "));
    expect(grid.cells.map((c) => c.label)).toEqual([
      "learningRate=1e-4, optimizer=sgd",
      "learningRate=1e-4, optimizer=adam",
      "learningRate=0.001, optimizer=sgd",
      "learningRate=0.001, optimizer=adam",
      "learningRate=0.01, optimizer=sgd",
      "learningRate=0.01, optimizer=adam",
    ]);
    expect(grid.cells.map((c) => c.config.seed)).toEqual([7, 7, 7, 7, 7, 7]);
    expect(grid.cells.map((c) => c.config.epochs)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(grid.cells[4]!.config.learningRate).toBe(1e-2);
    expect(grid.cells[4]!.config.optimizer.name).toBe("sgd");
    expect(grid.cells[5]!.config.optimizer.name).toBe("adam");
  });

  it("sweeps a nested field of the optimizer", () => {
    const grid = expandSweep({ optimizer: "sgd" }, { axes: [{ field: "optimizer.momentum", values: [0, 0.9] }] });
    if (!grid.ok) throw new Error(grid.problems.join("; "));
    expect(grid.cells.map((c) => c.config.optimizer)).toEqual([
      { name: "sgd", momentum: 0, nesterov: false },
      { name: "sgd", momentum: 0.9, nesterov: false },
    ]);
  });

  it("refuses the seed and epochs, a repeated axis or value, unknown settings, bad values and too big a grid", () => {
    const refused = (plan: Parameters<typeof expandSweep>[1]) => {
      const grid = expandSweep({}, plan);
      expect(grid.ok).toBe(false);
      return grid.ok ? [] : grid.problems;
    };
    expect(refused({ axes: [{ field: "seed", values: [1, 2] }] })[0]).toMatch(/holds the seed fixed/);
    expect(refused({ axes: [{ field: "epochs", values: [1, 2] }] })[0]).toMatch(/same number of epochs/);
    expect(
      refused({
        axes: [
          { field: "batchSize", values: [16, 32] },
          { field: "batchSize", values: [64, 128] },
        ],
      })[0],
    ).toMatch(/swept twice/);
    expect(refused({ axes: [{ field: "learningRate", values: [0.1, 0.1] }] })[0]).toMatch(/lists a value twice/);
    expect(refused({ axes: [{ field: "learningRat", values: [0.1, 0.2] }] })[0]).toMatch(/learningRat/);
    expect(refused({ axes: [{ field: "learningRate", values: [0.1, -1] }] })[0]).toMatch(/learningRate=-1/);
    const big = Array.from({ length: 7 }, (_, i) => 2 ** i);
    expect(
      refused({
        axes: [
          { field: "batchSize", values: big },
          { field: "learningRate", values: big.map((b) => b / 1000) },
        ],
      })[0],
    ).toMatch(new RegExp(`49 runs, over the ${MAX_SWEEP_RUNS}`));
  });
});

describe("the control statement", () => {
  it("names the seed and what differs, and what batch size changes", () => {
    expect(sweepControlStatement(lrByOptimizer, 3)).toBe(
      "Every run starts from the same initial weights (seed 3) and sees the same validation split and the same data order each epoch; only learningRate and optimizer differ.",
    );
    expect(sweepControlStatement({ axes: [{ field: "batchSize", values: [16, 64] }] }, 0)).toMatch(
      /cut into batches of other sizes\); only batchSize differs\.$/,
    );
  });
});

describe("summarizeSweep", () => {
  it("ranks by test accuracy (else the last validation accuracy) and says which setting mattered", () => {
    expect(sweepScore(metrics(0.9))).toBe(0.9);
    expect(sweepScore(metrics(null, [0.4, null, 0.6, null]))).toBe(0.6);
    expect(sweepScore(null)).toBeNull();
    const grid = expandSweep({}, lrByOptimizer);
    if (!grid.ok) throw new Error("grid");
    const scores = [0.2, 0.3, 0.8, 0.85, null, 0.9];
    const outcomes: SweepOutcome[] = grid.cells.map((cell, i) => ({
      cell,
      score: scores[i]!,
      diverged: scores[i] === null,
    }));
    const summary = summarizeSweep(lrByOptimizer, outcomes);
    expect(summary.best?.cell.label).toBe("learningRate=0.01, optimizer=adam");
    expect(summary.worst?.cell.label).toBe("learningRate=1e-4, optimizer=sgd");
    expect(summary.effects[0]!.means).toEqual([0.25, 0.825, 0.9]);
    expect(summary.effects[0]!.spread).toBeCloseTo(0.65, 10);
    expect(summary.findings).toContain(
      "learningRate=0.01, optimizer=sgd diverged (its loss became NaN or infinite): that setting is too aggressive for this model.",
    );
    expect(summary.findings).toContain("Here learningRate mattered more than optimizer.");
    expect(summary.findings[0]).toBe(
      "Best: learningRate=0.01, optimizer=adam at 90.0%; worst: learningRate=1e-4, optimizer=sgd at 20.0%.",
    );
  });

  it("counts runs still without a result", () => {
    const plan = { axes: [{ field: "learningRate", values: [0.1, 0.01] }] };
    const grid = expandSweep({}, plan);
    if (!grid.ok) throw new Error("grid");
    const summary = summarizeSweep(plan, [
      { cell: grid.cells[0]!, score: 0.5, diverged: false },
      { cell: grid.cells[1]!, score: null, diverged: false },
    ]);
    expect(summary.findings).toEqual(["1 of 2 runs have no result yet."]);
  });
});

describe("k-fold cross-validation as a sweep", () => {
  it("plans one run per fold, each holding out its own fold with the base seed", () => {
    const { base, plan } = kFoldPlan({ seed: 5, learningRate: 0.01 }, 4);
    expect(isKFold(plan)).toBe(true);
    const grid = expandSweep(base, plan);
    if (!grid.ok) throw new Error(grid.problems.join("; "));
    expect(grid.cells.map((c) => c.config.crossValidation)).toEqual([0, 1, 2, 3].map((fold) => ({ folds: 4, fold })));
    expect(grid.cells.every((c) => c.config.seed === 5 && c.config.learningRate === 0.01)).toBe(true);
    expect(() => kFoldPlan({}, 1)).toThrow(/use 2 to 10/);
    expect(sweepControlStatement(plan, 5)).toBe(
      "Every fold starts from the same initial weights (seed 5) and shuffles the same way; each holds out a different one of 4 stratified parts of the training data for validation and trains on the rest.",
    );
    const outcomes = grid.cells.map((cell, i) => ({ cell, score: i === 0 ? null : 0.5, diverged: false }));
    expect(summarizeSweep(plan, outcomes)).toEqual({
      best: null,
      worst: null,
      effects: [],
      findings: ["1 of 4 folds have no result yet."],
    });
  });

  it("gives mean ± sample std of the final validation accuracy, and says what is missing", () => {
    const result = kFoldResult([metrics(null, [0.5, 0.9]), metrics(null, [0.8]), null, metrics(null, [0.7, null])]);
    expect(result.perFold).toEqual([0.9, 0.8, null, 0.7]);
    expect(result.mean).toBeCloseTo(0.8, 12);
    expect(result.std).toBeCloseTo(0.1, 12);
    expect(result.text).toBe("80.0% ± 10.0% over 3 folds (1 of 4 folds still to come)");
    expect(kFoldResult([null, null]).text).toBe("no fold of 2 has finished yet");
  });
});
