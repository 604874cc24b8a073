import { TEMPLATES, TrainingConfig, validateConfig } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { DEFAULT_DATASET } from "../src/data/datasets";
import { dispatch, initialStudio, startHistory, undo } from "../src/state/studio";
import { keptSettingsSummary, templateSettingChanges } from "../src/state/templateSettings";
import { configForm, parseEpochList } from "../src/train/configFields";

describe("the training form covers every option the engine honours", () => {
  const form = configForm();

  it("has the step schedule's milestones as a list of epochs, with the factor next to them", () => {
    const step = form.schedule.byName.step!;
    expect(step.map((f) => f.path)).toEqual(["schedule.gamma", "schedule.milestones", "schedule.warmupEpochs"]);
    expect(step[0]).toMatchObject({ label: "Factor (gamma)", type: "number" });
    expect(step[1]).toMatchObject({ label: "Milestones (epochs)", type: "epoch-list", min: 1, defaultValue: [] });
    expect(step[1]!.help).toMatch(/multiplied by the factor, comma-separated/);
  });

  it("has an early-stopping switch whose on-value is a valid rule, and the rule's fields", () => {
    expect(form.earlyStoppingSwitch).toMatchObject({ path: "earlyStopping", type: "boolean", defaultValue: false });
    const on = { ...TrainingConfig.parse({}), earlyStopping: form.earlyStoppingSwitch.onValue };
    expect(validateConfig(on).config?.earlyStopping).toEqual({ metric: "val_loss", patience: 5, minDelta: 0 });
    expect(form.earlyStopping.map((f) => [f.path, f.label])).toEqual([
      ["earlyStopping.metric", "Watch"],
      ["earlyStopping.patience", "Patience (epochs)"],
      ["earlyStopping.minDelta", "Min delta"],
    ]);
    for (const f of form.earlyStopping) expect(f.help.length).toBeGreaterThan(20);
  });

  it("has help text on every input of every optimizer and schedule", () => {
    const all = [
      ...form.main,
      ...Object.values(form.optimizer.byName).flat(),
      ...Object.values(form.schedule.byName).flat(),
    ];
    for (const f of all) expect(f.help, f.path).not.toBe("");
  });
});

describe("parseEpochList", () => {
  it("reads comma- or space-separated whole epochs, allowing a trailing comma while typing", () => {
    expect(parseEpochList("2, 4")).toEqual({ ok: true, epochs: [2, 4] });
    expect(parseEpochList("2 4,")).toEqual({ ok: true, epochs: [2, 4] });
    expect(parseEpochList("  ")).toEqual({ ok: true, epochs: [] });
  });

  it("names the part that is not an epoch and how to write it", () => {
    expect(parseEpochList("2, 1.5")).toEqual({
      ok: false,
      error: '"1.5" is not an epoch number: write whole numbers from 1 up, separated by commas, e.g. 2, 4',
    });
    expect(parseEpochList("0")).toMatchObject({ ok: false, error: expect.stringMatching(/^"0" is not/) });
    expect(parseEpochList("two")).toMatchObject({ ok: false, error: expect.stringMatching(/^"two" is not/) });
  });
});

describe("picking a template keeps the training settings", () => {
  it("changes the model only; the template's own settings are one command away and undoable", () => {
    let h = startHistory(initialStudio());
    h = dispatch(h, "setConfigField", { field: "epochs", value: 2 });
    h = dispatch(h, "setConfigField", { field: "batchSize", value: 16 });
    h = dispatch(h, "setConfigField", { field: "optimizer.name", value: "rmsprop" });
    const before = h.present;
    h = dispatch(h, "loadTemplate", { id: "lenet-5" });
    expect(h.present.config).toBe(before.config);
    expect(h.present.dataset).toBe(DEFAULT_DATASET);
    expect(h.present.spec).not.toEqual(before.spec);

    const changes = templateSettingChanges(h.present.config, "lenet-5");
    expect(changes).toContainEqual({ path: "epochs", label: "Epochs", yours: "2", suggested: "10" });
    expect(changes).toContainEqual({ path: "optimizer.name", label: "Optimizer", yours: "rmsprop", suggested: "sgd" });
    expect(keptSettingsSummary(h.present.config)).toBe("2 epochs · batch size 16 · rmsprop · learning rate 0.001");

    h = dispatch(h, "applyTemplateSettings", { id: "lenet-5" });
    expect(TrainingConfig.parse(h.present.config)).toMatchObject({
      epochs: 10,
      batchSize: 64,
      learningRate: 0.01,
      optimizer: { name: "sgd", momentum: 0.9 },
    });
    expect(templateSettingChanges(h.present.config, "lenet-5")).toEqual([]);
    expect(undo(h).present.config).toBe(before.config);
  });

  it("finds nothing to change when the settings already are the template's", () => {
    const config = { ...TrainingConfig.parse({}), ...TEMPLATES.mlp.suggestedConfig };
    expect(templateSettingChanges(config, "mlp")).toEqual([]);
  });
});
