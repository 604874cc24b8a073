import { TrainingConfig } from "@layerlab/spec";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { applyConfigFlags, configFlags, configOptions, formatDuration, formatProgress } from "../src";

describe("config flags from the schema", () => {
  const flags = configFlags();
  const byName = new Map(flags.map((f) => [f.flag, f]));

  it("has one flag per leaf field, kebab-cased, with the schema's help text", () => {
    expect(byName.get("learning-rate")).toMatchObject({ path: ["learningRate"], kind: "number" });
    expect(byName.get("learning-rate")!.description).toBe(TrainingConfig.shape.learningRate.description);
    expect(byName.get("optimizer")).toMatchObject({
      kind: "variant",
      choices: ["sgd", "adam", "adamw", "rmsprop", "adagrad"],
    });
    expect(byName.get("schedule-milestones")).toMatchObject({ path: ["schedule", "milestones"], kind: "numberList" });
    expect(byName.get("early-stopping-metric")).toMatchObject({ kind: "enum", choices: ["val_loss", "val_acc"] });
    expect(byName.get("augmentation-horizontal-flip")).toMatchObject({ kind: "boolean" });
    // Every top-level field is reachable.
    for (const key of Object.keys(TrainingConfig.shape)) expect(flags.some((f) => f.path[0] === key)).toBe(true);
  });

  it("builds a config that the schema accepts, seed 003's aliases included", () => {
    const config = applyConfigFlags(
      { optimizer: "adam", epochs: 5 },
      {
        optimizer: "sgd",
        optimizerMomentum: 0.9,
        lr: 0.05,
        l2: 1e-4,
        lrDecay: 0.6,
        lrDecayEpochs: [30, 45],
        valSplit: 0.2,
        epochs: 60,
      },
    );
    expect(TrainingConfig.parse(config)).toMatchObject({
      optimizer: { name: "sgd", momentum: 0.9 },
      learningRate: 0.05,
      weightDecay: 1e-4,
      schedule: { name: "step", gamma: 0.6, milestones: [30, 45] },
      validationSplit: 0.2,
      epochs: 60,
    });
  });

  it("takes --normalization from the schema's enum and refuses other values", () => {
    expect(byName.get("normalization")).toMatchObject({
      path: ["normalization"],
      kind: "enum",
      choices: ["per-channel", "global", "none"],
      description: TrainingConfig.shape.normalization.description,
    });
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
    for (const option of configOptions(flags)) program.addOption(option);
    program.parse(["--normalization", "none"], { from: "user" });
    expect(TrainingConfig.parse(applyConfigFlags({ epochs: 2 }, program.opts())).normalization).toBe("none");
    expect(() => program.parse(["--normalization", "foo"], { from: "user" })).toThrow(
      /Allowed choices are per-channel, global, none/,
    );
  });

  it("refuses an alias together with its long form", () => {
    expect(() => applyConfigFlags({}, { lr: 0.1, learningRate: 0.2 })).toThrow(/--lr or --learning-rate/);
  });
});

describe("progress line", () => {
  it("draws the TQDM-style bar with ETA from the pace so far", () => {
    const line = formatProgress(
      {
        epoch: 2,
        epochs: 5,
        done: 211,
        total: 844,
        elapsedSeconds: 4,
        samplesPerSec: 11532.14,
        loss: 0.2314,
        accuracy: 0.9312,
      },
      8,
    );
    // 211/844 = 1/4 of 8 cells; 633 steps left at 4 s per 211 steps = 12 s.
    expect(line).toBe("epoch 2/5 |██░░░░░░| 211/844 [00:04<00:12, 11532.1 samples/s, loss=0.231, acc=93.1%]");
  });

  it("formats durations as TQDM does", () => {
    expect(formatDuration(59.6)).toBe("01:00");
    expect(formatDuration(3725)).toBe("1:02:05");
  });
});
