import { describe, expect, it } from "vitest";
import { configSummary, TrainingConfig } from "../src";

describe("configSummary", () => {
  it("puts each nested setting on one line and says off and none in words", () => {
    const config = TrainingConfig.parse({ optimizer: "adam", augmentation: { shift: 0.1, horizontalFlip: true } });
    const rows = Object.fromEntries(configSummary(config));
    expect(rows.optimizer).toBe("adam · beta1 0.9 · beta2 0.999 · epsilon 1e-8");
    expect(rows.schedule).toBe("constant · warmupEpochs 0");
    expect(rows.augmentation).toBe("shift 0.1 · horizontalFlip");
    expect(rows.earlyStopping).toBe("off");
    expect(rows.learningRate).toBe("0.001");
    // One row per top-level field, in the config's own order.
    expect(configSummary(config).map(([k]) => k)).toEqual(Object.keys(config));
  });

  it("says none for an augmentation with nothing on and lists step milestones", () => {
    const config = TrainingConfig.parse({
      augmentation: { shift: 0 },
      schedule: { name: "step", milestones: [30, 45] },
    });
    const rows = Object.fromEntries(configSummary(config));
    expect(rows.augmentation).toBe("none");
    expect(rows.schedule).toBe("step · gamma 0.1 · milestones 30, 45 · warmupEpochs 0");
  });
});
