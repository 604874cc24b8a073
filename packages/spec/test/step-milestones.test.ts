import { describe, expect, it } from "vitest";
import type { TrainingConfigInput } from "../src/config";
import { applyConfigEdit, validateConfig } from "../src/validateConfig";

describe("validateConfig: a step schedule without milestones", () => {
  it("warns that the rate never changes and fixes it with milestones at half and three quarters of the run", () => {
    const input: TrainingConfigInput = { epochs: 8, schedule: { name: "step", gamma: 0.5 } };
    const v = validateConfig(input);
    expect(v.ok).toBe(true);
    const problem = v.problems.find((p) => p.field === "schedule.milestones");
    expect(problem).toMatchObject({
      severity: "warning",
      message:
        "the step schedule has no milestones, so the learning rate never changes — set milestones, e.g. 4, 6 (the epochs after which the rate is multiplied by gamma)",
      autofix: { op: "setConfigField", field: "schedule.milestones", value: [4, 6] },
    });
    const fixed = validateConfig(applyConfigEdit(input, problem!.autofix!));
    expect(fixed.problems).toEqual([]);
    expect(fixed.config?.schedule).toEqual({ name: "step", gamma: 0.5, milestones: [4, 6], warmupEpochs: 0 });
  });

  it("has no milestone to offer a one-epoch run, and says what to do instead", () => {
    const v = validateConfig({ epochs: 1, schedule: "step" });
    const problem = v.problems.find((p) => p.field === "schedule.milestones");
    expect(problem?.autofix).toBeUndefined();
    expect(problem?.message).toMatch(/train for more than one epoch and set milestones, or use the constant schedule$/);
  });
});
