import { describe, expect, it } from "vitest";
import { defaultTrainingConfig, type TrainingConfigInput } from "../src/config";
import { applyConfigEdit, type ConfigProblem, validateConfig } from "../src/validateConfig";

const summary = (problems: ConfigProblem[]) => problems.map((p) => [p.severity, p.field, p.message]);

/** Applies the problem's autofix and validates again. */
function afterAutofix(input: TrainingConfigInput, p: ConfigProblem | undefined, context = {}) {
  expect(p?.autofix, `no autofix on: ${p?.message}`).toBeDefined();
  return validateConfig(applyConfigEdit(input, p!.autofix!), context);
}

describe("validateConfig", () => {
  it("fills every default from an empty or missing config", () => {
    for (const input of [{}, undefined, null]) {
      const v = validateConfig(input);
      expect(v).toEqual({ ok: true, config: defaultTrainingConfig(), problems: [] });
    }
  });

  it("refuses a config that is not an object, without throwing", () => {
    for (const input of ["adam", 5, [1], true]) {
      const v = validateConfig(input);
      expect(v.ok).toBe(false);
      expect(v.config).toBeNull();
      expect(v.problems[0]?.message).toBe(
        'the training config must be an object — write it as an object such as {"optimizer":"adam","epochs":5}, or leave it empty for the defaults',
      );
    }
  });

  it("turns schema issues into problems with field paths and fixes", () => {
    const v = validateConfig({
      optimizer: "adamm",
      learningRate: -1,
      batchSize: 0.5,
      schedule: { name: "step", milestones: [0, 2] },
      augmentation: { rotation: 400 },
      lr: 0.1,
    });
    expect(v.ok).toBe(false);
    expect(summary(v.problems)).toEqual([
      [
        "error",
        "optimizer.name",
        "optimizer.name 'adamm' is not allowed — use one of 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'",
      ],
      ["error", "learningRate", "learningRate is -1 but must be more than 0 — set learningRate to more than 0"],
      [
        "error",
        "schedule.milestones[0]",
        "schedule.milestones[0] is 0 but must be at least 1 — set schedule.milestones[0] to at least 1",
      ],
      ["error", "batchSize", "batchSize must be a whole number, not 0.5 — set batchSize to a whole number"],
      [
        "error",
        "augmentation.rotation",
        "augmentation.rotation is 400 but must be at most 180 — set augmentation.rotation to at most 180",
      ],
      ["error", null, "unknown field 'lr' — remove 'lr'"],
    ]);
  });

  it("nesterov without momentum is an error; the autofix sets momentum 0.9", () => {
    const input: TrainingConfigInput = { optimizer: { name: "sgd", nesterov: true }, learningRate: 0.05 };
    const v = validateConfig(input);
    expect(v.ok).toBe(false);
    expect(summary(v.problems)).toEqual([
      [
        "error",
        "optimizer.nesterov",
        "optimizer.nesterov is on but optimizer.momentum is 0, and Nesterov momentum needs momentum — set optimizer.momentum to 0.9, or turn nesterov off",
      ],
    ]);
    const fixed = afterAutofix(input, v.problems[0]);
    expect(fixed.ok).toBe(true);
    expect(fixed.config?.optimizer).toEqual({ name: "sgd", momentum: 0.9, nesterov: true });
  });

  it("step milestones out of order or not before the last epoch are warnings", () => {
    const unordered: TrainingConfigInput = { epochs: 5, schedule: { name: "step", milestones: [3, 2, 2] } };
    const a = validateConfig(unordered);
    expect(a.ok).toBe(true);
    expect(summary(a.problems)).toEqual([
      [
        "warning",
        "schedule.milestones",
        "schedule.milestones [3,2,2] are not strictly increasing — sort them and drop repeats: [2,3]",
      ],
    ]);
    expect(afterAutofix(unordered, a.problems[0]).problems).toEqual([]);

    const late: TrainingConfigInput = { epochs: 5, schedule: { name: "step", milestones: [2, 5, 10] } };
    const b = validateConfig(late);
    expect(summary(b.problems)).toEqual([
      [
        "warning",
        "schedule.milestones",
        "schedule.milestones 5, 10 are not before the last epoch (5), so they never take effect — use milestones below 5, or train for more epochs",
      ],
    ]);
    const fixed = afterAutofix(late, b.problems[0]);
    expect(fixed.problems).toEqual([]);
    expect(fixed.config?.schedule).toMatchObject({ milestones: [2] });
  });

  it("warm-up as long as the run is an error", () => {
    const input: TrainingConfigInput = { epochs: 3, schedule: { name: "cosine", warmupEpochs: 3 } };
    const v = validateConfig(input);
    expect(summary(v.problems)).toEqual([
      [
        "error",
        "schedule.warmupEpochs",
        "schedule.warmupEpochs is 3 but the run has only 3 epochs, so the learning rate never reaches its value — set schedule.warmupEpochs below 3 (e.g. 1)",
      ],
    ]);
    expect(afterAutofix(input, v.problems[0]).ok).toBe(true);
    expect(validateConfig({ epochs: 3, schedule: { name: "cosine", warmupEpochs: 2.5 } }).ok).toBe(true);
  });

  it("a batch larger than the training samples left after the validation split", () => {
    const input: TrainingConfigInput = { batchSize: 128, validationSplit: 0.1 };
    expect(validateConfig(input).ok).toBe(true);
    const v = validateConfig(input, { trainSamples: 100 });
    expect(summary(v.problems)).toEqual([
      [
        "error",
        "batchSize",
        "batchSize 128 is larger than the 90 training samples after the 0.1 validation split — set batchSize to 64 or less",
      ],
    ]);
    expect(afterAutofix(input, v.problems[0], { trainSamples: 100 }).ok).toBe(true);
    expect(validateConfig({ batchSize: 90, validationSplit: 0.1 }, { trainSamples: 100 }).ok).toBe(true);
    expect(validateConfig({ validationSplit: 0.5 }, { trainSamples: 1 }).problems[0]?.field).toBe("validationSplit");
  });

  it("early stopping with no validation set, and AdamW without weight decay", () => {
    const es: TrainingConfigInput = { earlyStopping: { patience: 2 }, validationSplit: 0 };
    const v = validateConfig(es);
    expect(v.problems.map((p) => [p.severity, p.field])).toEqual([["error", "earlyStopping"]]);
    expect(afterAutofix(es, v.problems[0]).ok).toBe(true);

    const adamw = validateConfig({ optimizer: "adamw" });
    expect(adamw.ok).toBe(true);
    expect(adamw.problems.map((p) => [p.severity, p.field])).toEqual([["warning", "weightDecay"]]);
    expect(afterAutofix({ optimizer: "adamw" }, adamw.problems[0]).problems).toEqual([]);
  });

  it("applyConfigEdit is pure and expands a bare optimizer name", () => {
    const input: TrainingConfigInput = { optimizer: "sgd", epochs: 2 };
    const edited = applyConfigEdit(input, { op: "setConfigField", field: "optimizer.momentum", value: 0.5 });
    expect(edited).toEqual({ optimizer: { name: "sgd", momentum: 0.5 }, epochs: 2 });
    expect(input).toEqual({ optimizer: "sgd", epochs: 2 });
  });
});
