import { describe, expect, it } from "vitest";
import {
  isLearningRateRangeName,
  LEARNING_RATE_RANGE_NAMES,
  LEARNING_RATE_RANGES,
  learningRateInside,
  learningRateRange,
  learningRateRangeLimits,
  learningRateRangeOf,
} from "../src/learning-rate-ranges";

/** The ranges holding `lr` by their own bounds (the table, not learningRateRangeOf's search). */
const holding = (lr: number) => LEARNING_RATE_RANGES.filter((r) => lr >= r.low && lr < r.high).map((r) => r.name);

describe("learning-rate ranges", () => {
  it("are half-open, ordered and share their edges: no gap and no overlap", () => {
    expect(LEARNING_RATE_RANGES.map((r) => r.name)).toEqual([...LEARNING_RATE_RANGE_NAMES]);
    expect(LEARNING_RATE_RANGES[0]!.low).toBe(0);
    expect(LEARNING_RATE_RANGES.at(-1)!.high).toBe(Number.POSITIVE_INFINITY);
    for (let i = 1; i < LEARNING_RATE_RANGES.length; i++) {
      expect(LEARNING_RATE_RANGES[i]!.low).toBe(LEARNING_RATE_RANGES[i - 1]!.high);
      expect(LEARNING_RATE_RANGES[i]!.low).toBeGreaterThan(LEARNING_RATE_RANGES[i - 1]!.low);
    }
  });

  it("put every edge in exactly one range: the one it opens", () => {
    const edges = LEARNING_RATE_RANGES.slice(1).map((r) => r.low);
    expect(edges).toEqual([1e-5, 1e-4, 5e-4, 1e-3, 1e-2]);
    for (const range of LEARNING_RATE_RANGES.slice(1)) {
      expect(holding(range.low)).toEqual([range.name]);
      expect(learningRateRangeOf(range.low)?.name).toBe(range.name);
      // Just below the edge is the range before.
      const below = range.low * (1 - 1e-12);
      expect(holding(below)).toHaveLength(1);
      expect(learningRateRangeOf(below)?.high).toBe(range.low);
    }
  });

  it("file 0.001 under high only, never under medium-high", () => {
    expect(holding(0.001)).toEqual(["high"]);
    expect(learningRateRange("medium-high").label).toBe("medium-high: 0.0005 ≤ lr < 0.001");
    expect(learningRateRange("high").label).toBe("high: 0.001 ≤ lr < 0.01");
    expect(learningRateRange("very-low").label).toBe("very-low: lr < 0.00001");
    expect(learningRateRange("very-high").label).toBe("very-high: 0.01 ≤ lr");
  });

  it("hold every usual rate once and refuse rates that are no rate", () => {
    for (const lr of [1e-7, 3e-5, 2e-4, 7e-4, 0.0055, 0.1, 1, 10]) expect(holding(lr)).toHaveLength(1);
    for (const lr of [0, -1e-3, Number.NaN, Number.POSITIVE_INFINITY]) expect(learningRateRangeOf(lr)).toBeUndefined();
  });

  it("give filter limits that leave the open ends out", () => {
    expect(learningRateRangeLimits("very-low")).toEqual({ max: 1e-5 });
    expect(learningRateRangeLimits("medium-high")).toEqual({ min: 5e-4, max: 1e-3 });
    expect(learningRateRangeLimits("very-high")).toEqual({ min: 1e-2 });
  });

  it("pick a rate inside each range", () => {
    for (const name of LEARNING_RATE_RANGE_NAMES)
      expect(learningRateRangeOf(learningRateInside(name))?.name).toBe(name);
    expect(learningRateInside("high")).toBe(0.0032);
  });

  it("know their names", () => {
    expect(isLearningRateRangeName("medium-low")).toBe(true);
    expect(isLearningRateRangeName("medium")).toBe(false);
  });
});
