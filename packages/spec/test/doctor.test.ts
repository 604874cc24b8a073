import { describe, expect, it } from "vitest";
import { analyzeSpec } from "../src/analyze";
import { TrainingConfig } from "../src/config";
import {
  type DiagnoseInput,
  deadUnitFractions,
  diagnose,
  type EpochMetrics,
  historyFromMetrics,
  isConfigEdit,
  MIN_STEPS_TO_JUDGE_LEARNING,
} from "../src/doctor";
import { scaleLearningRate } from "../src/doctor/fixes";
import { OPTIMIZER_LEARNING_RATES } from "../src/doctor/learning-rates";
import { applyEdit } from "../src/edits";
import type { ModelSpecInput } from "../src/model";
import { applyConfigEdit } from "../src/validateConfig";

const classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const mlp: ModelSpecInput = {
  input: { shape: [1, 28, 28] },
  layers: [
    { kind: "flatten" },
    { kind: "dense", units: 128, activation: "relu" },
    { kind: "dense", units: 64, activation: "relu" },
    { kind: "dense", units: 10 },
  ],
  classes,
};
const config = { optimizer: "adam", learningRate: 1e-3, epochs: 10 };

/** Epochs from per-epoch [trainLoss, trainAcc, valLoss, valAcc] rows. */
function history(rows: [number, number, number | null, number | null][]): EpochMetrics[] {
  return rows.map(([trainLoss, trainAccuracy, valLoss, valAccuracy], i) => ({
    epoch: i + 1,
    trainLoss,
    trainAccuracy,
    valLoss,
    valAccuracy,
  }));
}

/** A run that goes the way it should: fast then slowing improvement, a small steady gap. */
const healthy = history([
  [0.9, 0.75, 0.5, 0.86],
  [0.4, 0.88, 0.33, 0.9],
  [0.3, 0.91, 0.27, 0.92],
  [0.25, 0.925, 0.24, 0.93],
  [0.22, 0.935, 0.215, 0.937],
  [0.2, 0.94, 0.2, 0.94],
]);
const healthyBatches = [2.3, 1.6, 1.1, 0.8, 0.65, 0.55, 0.5, 0.46, 0.43, 0.41, 0.39, 0.37, 0.36, 0.35, 0.33];
const healthyGradients = [
  {
    layers: [
      { layer: 1, kind: "dense", gradNorm: 0.8, updateRatio: 1e-3 },
      { layer: 2, kind: "dense", gradNorm: 0.5, updateRatio: 2e-3 },
      { layer: 3, kind: "dense", gradNorm: 0.3, updateRatio: 1e-3 },
    ],
  },
];
const base: DiagnoseInput = {
  spec: mlp,
  config,
  history: healthy,
  batches: healthyBatches,
  gradients: healthyGradients,
  classCounts: [600, 640, 590, 610, 580, 560, 620, 650, 570, 600],
  deadUnits: [
    { layer: 1, fraction: 0.05 },
    { layer: 2, fraction: 0.1 },
  ],
  final: { testAccuracy: 0.94, testLoss: 0.2 },
};

function ids(input: DiagnoseInput): string[] {
  return diagnose(input).map((f) => f.id);
}

function only(input: DiagnoseInput, id: string) {
  const findings = diagnose(input);
  const f = findings.find((x) => x.id === id);
  expect(f, `expected '${id}' among ${findings.map((x) => x.id).join(", ") || "nothing"}`).toBeDefined();
  return f!;
}

describe("diagnose", () => {
  it("finds nothing wrong with a healthy run", () => {
    expect(diagnose(base)).toEqual([]);
  });

  it("overfitting: validation loss rises while training loss falls; the fix adds dropout 0.3 after dense #2", () => {
    const f = only(
      {
        ...base,
        history: history([
          [0.8, 0.78, 0.5, 0.85],
          [0.4, 0.9, 0.38, 0.89],
          [0.25, 0.94, 0.36, 0.9],
          [0.15, 0.97, 0.4, 0.89],
          [0.08, 0.99, 0.46, 0.88],
          [0.04, 0.995, 0.52, 0.88],
        ]),
      },
      "overfitting",
    );
    expect(f.evidence).toContain("epoch 3");
    expect(f.suggestion).toContain("Add dropout 0.3 after dense #2");
    expect(f.fix).toEqual({ op: "insertLayer", at: 2, layer: { kind: "dropout", rate: 0.3 } });
    const fixed = applyEdit(mlp, f.fix as never);
    expect(fixed.layers.map((l) => l.kind)).toEqual(["flatten", "dense", "dropout", "dense", "dense"]);
    expect(analyzeSpec(fixed).ok).toBe(true);
  });

  it("overfitting without a dropout slot falls back to weight decay", () => {
    const withDropout = {
      ...mlp,
      layers: [...mlp.layers.slice(0, 2), { kind: "dropout", rate: 0.5 }, ...mlp.layers.slice(2)],
    };
    const gap = history([
      [0.6, 0.82, 0.55, 0.82],
      [0.3, 0.9, 0.5, 0.84],
      [0.15, 0.96, 0.52, 0.84],
      [0.08, 0.99, 0.5, 0.85],
    ]);
    const f = only({ ...base, spec: withDropout, history: gap }, "overfitting");
    expect(f.fix).toEqual({ op: "setConfigField", field: "weightDecay", value: 1e-4 });
  });

  it("underfitting: both accuracies low and the loss flat after several epochs; the fix widens dense #2", () => {
    const f = only(
      {
        ...base,
        history: history([
          [2.0, 0.3, 1.95, 0.31],
          [1.8, 0.38, 1.78, 0.39],
          [1.75, 0.4, 1.74, 0.4],
          [1.73, 0.41, 1.72, 0.41],
          [1.72, 0.41, 1.72, 0.41],
        ]),
      },
      "underfitting",
    );
    expect(f.evidence).toContain("41.0%");
    expect(f.fix).toEqual({ op: "setField", layer: 1, field: "units", value: 256 });
  });

  it("divergence: a NaN loss is a problem; the fix lowers the learning rate tenfold", () => {
    const f = only(
      {
        ...base,
        history: history([
          [0.9, 0.7, 0.5, 0.8],
          [Number.NaN, 0.1, null, null],
        ]),
      },
      "divergence",
    );
    expect(f.severity).toBe("problem");
    expect(f.fix).toEqual({ op: "setConfigField", field: "learningRate", value: 1e-4 });
  });

  it("divergence: a batch loss that grows to several times its start", () => {
    const growing = [2.3, 2.1, 2.6, 3.5, 5.2, 8.0, 14.0];
    expect(ids({ ...base, history: [], batches: growing })).toContain("divergence");
    expect(ids({ ...base, history: [], batches: growing })).not.toContain("lr-too-high");
  });

  it("learning rate too high: the batch loss keeps jumping up without getting better; lower it to 3e-4", () => {
    const bouncing = [2.3, 1.5, 2.2, 1.4, 2.1, 1.6, 2.4, 1.5, 2.0, 1.4, 2.3, 1.5, 2.2, 1.6, 2.1];
    const f = only({ ...base, batches: bouncing }, "lr-too-high");
    expect(f.evidence).toMatch(/jumped up by more than 30% \d+ times in 15 readings/);
    expect(f.fix).toEqual({ op: "setConfigField", field: "learningRate", value: 3e-4 });
    const next = TrainingConfig.parse(applyConfigEdit(config, f.fix as never));
    expect(next.learningRate).toBe(3e-4);
  });

  it("learning rate too high: the epoch loss goes up twice", () => {
    const rising = history([
      [1.0, 0.6, 0.9, 0.62],
      [1.2, 0.55, 1.1, 0.56],
      [0.9, 0.65, 0.88, 0.64],
      [1.1, 0.6, 1.0, 0.6],
    ]);
    expect(ids({ ...base, batches: [], history: rising })).toContain("lr-too-high");
  });

  it("learning rate too low: slow, straight-line descent; raise it threefold", () => {
    const slow = history([
      [2.3, 0.15, 2.29, 0.15],
      [2.22, 0.2, 2.21, 0.2],
      [2.14, 0.25, 2.13, 0.25],
      [2.06, 0.3, 2.05, 0.3],
      [1.98, 0.34, 1.97, 0.34],
      [1.9, 0.38, 1.89, 0.38],
    ]);
    const f = only({ ...base, config: { ...config, learningRate: 1e-5 }, history: slow }, "lr-too-low");
    expect(f.evidence).toContain("from 2.3 to 1.9 in 6 epochs");
    expect(f.fix).toEqual({ op: "setConfigField", field: "learningRate", value: 3e-5 });
  });

  it("plateau: no 1% improvement for three epochs; suggests a cosine schedule, then early stopping", () => {
    const flat = history([
      [0.9, 0.7, 0.6, 0.8],
      [0.5, 0.85, 0.45, 0.86],
      [0.4, 0.88, 0.4, 0.88],
      [0.39, 0.88, 0.398, 0.88],
      [0.39, 0.885, 0.399, 0.88],
      [0.388, 0.885, 0.397, 0.881],
    ]);
    const f = only({ ...base, history: flat }, "plateau");
    expect(f.severity).toBe("info");
    expect(f.evidence).toContain("since epoch 3");
    expect(f.fix).toEqual({ op: "setConfigField", field: "schedule", value: { name: "cosine" } });
    const cosine = { ...config, schedule: "cosine" };
    const g = only({ ...base, config: cosine, history: flat }, "plateau");
    expect(g.fix).toEqual({ op: "setConfigField", field: "earlyStopping", value: { metric: "val_loss", patience: 3 } });
    expect(TrainingConfig.safeParse(applyConfigEdit(cosine, g.fix as never)).success).toBe(true);
  });

  it("class imbalance: the largest class has several times the images of the smallest, named", () => {
    const counts = [600, 640, 590, 610, 580, 560, 620, 650, 570, 60];
    const f = only({ ...base, classCounts: counts }, "class-imbalance");
    expect(f.evidence).toBe("'7' has 650 training images and '9' only 60 (10.8 times as many).");
    expect(f.fix).toBeUndefined();
  });

  it("dead ReLUs: most units of a layer never fire; the fix switches it to leaky ReLU", () => {
    const f = only({ ...base, deadUnits: [{ layer: 2, fraction: 0.7 }] }, "dead-relu");
    expect(f.evidence).toBe("70.0% of the units of dense #3 never fire on the sample batch.");
    expect(f.fix).toEqual({ op: "setField", layer: 2, field: "activation", value: "leakyRelu" });
    expect(analyzeSpec(applyEdit(mlp, f.fix as never)).ok).toBe(true);
  });

  it("exploding gradients: a norm above 1e3 (or overflowed) is a problem", () => {
    const exploding = [{ layers: [{ layer: 1, kind: "dense", gradNorm: 5e4, updateRatio: 0.9 }] }];
    const f = only({ ...base, gradients: exploding }, "exploding-gradients");
    expect(f.severity).toBe("problem");
    expect(f.evidence).toContain("dense #2");
    expect(f.evidence).toContain("reached 50000, above 1000");
    expect(f.fix && isConfigEdit(f.fix)).toBe(true);
    const overflowed = [{ layers: [{ layer: 3, kind: "dense", gradNorm: null, updateRatio: null }] }];
    expect(only({ ...base, gradients: overflowed }, "exploding-gradients").evidence).toContain("overflowed");
  });

  it("vanishing gradients: a norm below 1e-7; the fix swaps the first sigmoid for ReLU", () => {
    const sigmoid = { ...mlp, layers: mlp.layers.map((l, i) => (i === 1 ? { ...l, activation: "sigmoid" } : l)) };
    const vanishing = [{ layers: [{ layer: 1, kind: "dense", gradNorm: 3e-9, updateRatio: 1e-9 }] }];
    const f = only({ ...base, spec: sigmoid, gradients: vanishing }, "vanishing-gradients");
    expect(f.fix).toEqual({ op: "setField", layer: 1, field: "activation", value: "relu" });
  });

  it("orders findings worst first and works without spec or config (no fixes then)", () => {
    const findings = diagnose({
      history: history([
        [0.9, 0.7, 0.5, 0.8],
        [Number.POSITIVE_INFINITY, 0.1, null, null],
      ]),
      classCounts: [10, 100],
    });
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ["divergence", "problem"],
      ["class-imbalance", "warning"],
    ]);
    expect(findings.every((f) => f.fix === undefined)).toBe(true);
  });

  describe("a run that learned nothing (Adam at 0.5, 2 epochs, 3 shapes)", () => {
    const shapes: ModelSpecInput = {
      input: { shape: [1, 16, 16] },
      layers: [{ kind: "flatten" }, { kind: "dense", units: 32, activation: "relu" }, { kind: "dense", units: 3 }],
      classes: ["circle", "square", "triangle"],
    };
    const hot = { optimizer: "adam", learningRate: 0.5, epochs: 2 };
    const report: DiagnoseInput = {
      spec: shapes,
      config: hot,
      history: history([
        [10.2, 0.34, 12.1, 0.33],
        [13.6, 0.33, 14.2, 0.33],
      ]),
      final: { testAccuracy: 0.32, testLoss: 14 },
    };

    it("is a problem, with the numbers against chance and ln 3, and a fix that lowers the rate into Adam's usual range", () => {
      const f = only(report, "learned-nothing");
      expect(f.severity).toBe("problem");
      expect(f.evidence).toContain("test accuracy is 32.0%, no better than guessing among 3 classes (33.3%)");
      // ln 3 = 1.0986…; 13.6 / 1.0986 = 12.4.
      expect(f.evidence).toContain("training loss ends at 13.6, 12.4 times 1.1 (ln 3)");
      expect(f.evidence).toContain("test loss is 14");
      expect(f.evidence).toContain("rose from 10.2 in epoch 1 to 13.6 in epoch 2");
      // Tenfold lower would be 0.05, still far above the range quoted: the fix stops at its upper end.
      expect(f.suggestion).toContain("Lower the learning rate from 0.5 to 0.003");
      expect(f.suggestion).toContain(
        "Adam at 0.5 is far above its usual range (about 1e-3 (1e-4–3e-3)); SGD usually wants 0.01–0.1.",
      );
      expect(f.fix).toEqual({ op: "setConfigField", field: "learningRate", value: 3e-3 });
      expect(TrainingConfig.parse(applyConfigEdit(hot, f.fix as never)).learningRate).toBe(3e-3);
      expect(diagnose(report)[0]!.id).toBe("learned-nothing");
      // One finding, one fix: the config-only warning stays quiet once training showed the damage.
      expect(diagnose(report).map((x) => x.id)).not.toContain("lr-out-of-range");
    });

    it("is caught from the final test metrics alone when there is no history", () => {
      const f = only({ ...report, history: [] }, "learned-nothing");
      expect(f.evidence).toContain("test accuracy is 32.0%");
      expect(f.evidence).toContain("test loss is 14");
    });

    it("is caught without a spec from a loss that ended above where it started", () => {
      const f = only({ config: hot, history: report.history }, "learned-nothing");
      expect(f.evidence).toBe("The training loss rose from 10.2 in epoch 1 to 13.6 in epoch 2.");
    });

    it("needs two epochs before judging accuracy from the curves alone", () => {
      const one = history([[1.09, 0.34, 1.08, 0.34]]);
      expect(ids({ spec: shapes, config, history: one })).toEqual([]);
      const two = history([
        [1.09, 0.34, 1.08, 0.34],
        [1.08, 0.35, 1.07, 0.35],
      ]);
      expect(only({ spec: shapes, config, history: two }, "learned-nothing").evidence).toContain(
        "validation accuracy in epoch 2 is 35.0%",
      );
    });

    it(`judges a run only after ${MIN_STEPS_TO_JUDGE_LEARNING} steps: at chance after 4 steps is too early to tell`, () => {
      // One epoch of 4 steps at Adam's usual rate, still at chance: what any model scores that early.
      const fourSteps: DiagnoseInput = {
        spec: shapes,
        config,
        history: history([[1.1, 0.33, 1.1, 0.33]]),
        final: { testAccuracy: 0.33, testLoss: 1.1 },
        steps: 4,
      };
      expect(ids(fourSteps)).toEqual([]);
      expect(ids({ ...fourSteps, steps: MIN_STEPS_TO_JUDGE_LEARNING - 1 })).toEqual([]);
      expect(only({ ...fourSteps, steps: MIN_STEPS_TO_JUDGE_LEARNING }, "learned-nothing").evidence).toContain(
        "test accuracy is 33.0%, no better than guessing among 3 classes",
      );
      // The 2-epoch run at 0.5 is too short as well when it took 4 steps; the config check still warns.
      expect(ids({ ...report, steps: 4 })).toEqual(["lr-out-of-range"]);
      expect(ids({ ...report, steps: 200 })[0]).toBe("learned-nothing");
    });

    it("the config check warns before training and sets Adam's usual 1e-3", () => {
      const f = only({ spec: shapes, config: hot, history: [] }, "lr-out-of-range");
      expect(f.severity).toBe("warning");
      expect(f.evidence).toContain("0.5 with Adam, whose usual range is about 1e-3");
      // The same range name the run list filters by.
      expect(f.evidence).toContain("The run list files it under very-high: 0.01 ≤ lr.");
      expect(f.fix).toEqual({ op: "setConfigField", field: "learningRate", value: 1e-3 });
    });

    describe.each(Object.entries(OPTIMIZER_LEARNING_RATES))(
      "every learning-rate fix for %s lands inside the range it quotes",
      (optimizer, range) => {
        const inRange = (value: unknown) => {
          expect(typeof value).toBe("number");
          expect(value as number).toBeGreaterThanOrEqual(range.min);
          expect(value as number).toBeLessThanOrEqual(range.max);
        };

        it("the table's words, typical value and bounds agree", () => {
          const written = (n: number) => (n < 0.01 ? n.toExponential() : String(n));
          expect(range.usual).toContain(`${written(range.min)}–${written(range.max)}`);
          inRange(range.typical);
          expect(range.tooHigh).toBeGreaterThan(range.max);
        });

        it.each([5, range.tooHigh, 10 * range.max, range.max, range.min / 10])(
          "learned nothing at lr %s",
          (learningRate) => {
            const f = only(
              {
                spec: shapes,
                config: { optimizer, learningRate, epochs: 2 },
                history: report.history,
                final: report.final,
              },
              "learned-nothing",
            );
            expect(f.suggestion).toContain(
              `usual${learningRate >= range.tooHigh ? " range (" : "ly wants "}${range.usual}`,
            );
            if (f.fix) inRange((f.fix as { value: unknown }).value);
            // At or below the range's lower end, a fix for "steps too big" would have to raise the rate: none is offered.
            else expect(learningRate).toBeLessThanOrEqual(range.min);
          },
        );

        it("the config check's fix", () => {
          const f = only({ config: { optimizer, learningRate: 5 }, history: [] }, "lr-out-of-range");
          expect(f.evidence).toContain(`usual range is ${range.usual}`);
          inRange((f.fix as { value: unknown }).value);
        });

        it("lowering from far above stops at the range's upper end", () => {
          const config = TrainingConfig.parse({ optimizer, learningRate: 5 });
          const named = scaleLearningRate(config, 0.1);
          expect(named?.fix.value).toBe(range.max);
        });
      },
    );

    it("the config check's thresholds: adaptive optimizers from 0.05, SGD from 1", () => {
      const check = (optimizer: string, learningRate: number) =>
        ids({ config: { optimizer, learningRate }, history: [] }).includes("lr-out-of-range");
      expect(check("adam", 0.05)).toBe(true);
      expect(check("adam", 0.03)).toBe(false);
      expect(check("adamw", 0.1)).toBe(true);
      expect(check("rmsprop", 0.05)).toBe(true);
      expect(check("sgd", 0.5)).toBe(false);
      expect(check("sgd", 1)).toBe(true);
      expect(only({ config: { optimizer: "sgd", learningRate: 2 }, history: [] }, "lr-out-of-range").fix).toEqual({
        op: "setConfigField",
        field: "learningRate",
        value: 0.1,
      });
    });

    it("a healthy short run (2 epochs, loss 1.0 → 0.4, accuracy 85%) triggers nothing", () => {
      const short = history([
        [1.0, 0.6, 0.7, 0.75],
        [0.4, 0.85, 0.42, 0.85],
      ]);
      expect(diagnose({ spec: shapes, config, history: short, final: { testAccuracy: 0.85, testLoss: 0.4 } })).toEqual(
        [],
      );
    });

    it("a high test loss next to a low training loss is overfitting, not this", () => {
      const overconfident = history([
        [0.6, 0.8, 0.9, 0.75],
        [0.05, 0.99, 2.5, 0.8],
      ]);
      const input = { spec: shapes, config, history: overconfident, final: { testAccuracy: 0.8, testLoss: 2.5 } };
      expect(ids(input)).not.toContain("learned-nothing");
    });
  });

  it("reads metrics.json's arrays as a history", () => {
    const h = historyFromMetrics({
      epoch: [1, 2],
      train_loss: [0.5, 0.3],
      train_acc: [0.8, 0.9],
      val_loss: [null, null],
      val_acc: [null, null],
      lr: [1e-3, 1e-3],
    });
    expect(h[1]).toEqual({
      epoch: 2,
      trainLoss: 0.3,
      trainAccuracy: 0.9,
      valLoss: null,
      valAccuracy: null,
      learningRate: 1e-3,
    });
  });
});

describe("deadUnitFractions", () => {
  const spec = {
    input: { shape: [1, 2, 2] },
    layers: [
      { kind: "conv2d", filters: 2, kernel: 1, activation: "relu" },
      { kind: "flatten" },
      { kind: "dense", units: 4 },
      { kind: "activation", fn: "relu" },
      { kind: "dense", units: 2 },
    ],
    classes: ["a", "b"],
  };

  it("counts a dense unit dead when no sample fires it, a channel when no position of any sample does", () => {
    // conv output [N=2, C=2, H=2, W=2]: channel 0 fires once (sample 1, last pixel), channel 1 never.
    const conv = new Float32Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0]);
    // relu output [N=3, F=4]: unit 0 fires in sample 0, unit 2 in sample 2; units 1 and 3 never.
    const relu = new Float32Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
    const result = deadUnitFractions(
      [
        { layer: 0, shape: [2, 2, 2, 2], data: conv },
        { layer: 1, shape: [2, 8], data: new Float32Array(16) },
        { layer: 2, shape: [3, 4], data: new Float32Array(12).fill(-1) },
        { layer: 3, shape: [3, 4], data: relu },
      ],
      spec,
    );
    // flatten and the dense without activation are not ReLU outputs, so they are left out.
    expect(result).toEqual([
      { layer: 0, fraction: 0.5 },
      { layer: 3, fraction: 0.5 },
    ]);
  });

  it("refuses data that does not fit the shape, naming the layer", () => {
    expect(() => deadUnitFractions([{ layer: 3, shape: [2, 4], data: new Float32Array(7) }], spec)).toThrow(/layer 3/);
  });
});
