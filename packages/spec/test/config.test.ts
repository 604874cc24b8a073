import { describe, expect, it } from "vitest";
import { defaultTrainingConfig, NORMALIZATION_MODES, TrainingConfig } from "../src/config";
import { validateConfig } from "../src/validateConfig";

describe("TrainingConfig.normalization", () => {
  it("defaults to per-channel, today's behaviour", () => {
    expect(defaultTrainingConfig().normalization).toBe("per-channel");
    expect(TrainingConfig.parse({ epochs: 2 }).normalization).toBe("per-channel");
  });

  it("parses each allowed value", () => {
    expect(NORMALIZATION_MODES).toEqual(["per-channel", "global", "none"]);
    for (const mode of NORMALIZATION_MODES)
      expect(TrainingConfig.parse({ normalization: mode }).normalization).toBe(mode);
  });

  it("refuses an unknown value with a message naming the allowed ones", () => {
    const parsed = TrainingConfig.safeParse({ normalization: "foo" });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(["normalization"]);
    const v = validateConfig({ normalization: "foo" });
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => [p.field, p.message])).toEqual([
      ["normalization", "normalization 'foo' is not allowed — use one of 'per-channel', 'global', 'none'"],
    ]);
  });

  it("has a help text for the form and the CLI", () => {
    expect(TrainingConfig.shape.normalization.description).toMatch(/per-channel.*recommended/);
  });
});
