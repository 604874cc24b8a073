import { describe, expect, it } from "vitest";
import {
  configFingerprint,
  DEFAULT_KEEP_EPOCH_CHECKPOINTS,
  EPOCH_VIEW_SAMPLES,
  epochCheckpointName,
  epochOfCheckpointName,
  epochSampleIndices,
  keptEpochCheckpoints,
  type ModelSpecInput,
  plannedEpochCheckpoints,
  TrainingConfig,
  validateConfig,
} from "../src";

describe("which epochs keep their weights", () => {
  it("keeps every epoch that fits, else an even spread with the first and the last", () => {
    expect(plannedEpochCheckpoints(5, 3)).toEqual([1, 3, 5]);
    expect(plannedEpochCheckpoints(3, 20)).toEqual([1, 2, 3]);
    expect(plannedEpochCheckpoints(10, 4)).toEqual([1, 4, 7, 10]);
    expect(plannedEpochCheckpoints(100, 20)).toHaveLength(20);
    expect(plannedEpochCheckpoints(7, 2)).toEqual([1, 7]);
    expect(plannedEpochCheckpoints(7, 1)).toEqual([7]);
    expect(plannedEpochCheckpoints(7, 0)).toEqual([]);
    // Never two the same, always ascending, for every size up to a few hundred epochs.
    for (let planned = 1; planned <= 300; planned += 7) {
      for (const keep of [1, 2, 3, 5, 20, 299]) {
        const kept = plannedEpochCheckpoints(planned, keep);
        expect(kept.length).toBe(Math.min(planned, keep));
        expect(kept.every((e, i) => i === 0 || e > kept[i - 1]!)).toBe(true);
        expect(kept.at(-1)).toBe(planned);
        if (keep >= 2) expect(kept[0]).toBe(1);
      }
    }
  });

  it("keeps the latest epoch while a run goes, within the bound, and the planned set at its end", () => {
    expect([1, 2, 3, 4, 5].map((done) => keptEpochCheckpoints(5, 3, done))).toEqual([
      [1],
      [1, 2],
      [1, 3],
      [1, 3, 4],
      [1, 3, 5],
    ]);
    // A run stopped early after 6 of 100 epochs keeps its last state, and never more than `keep`.
    expect(keptEpochCheckpoints(100, 3, 6)).toEqual([1, 6]);
    for (let done = 1; done <= 100; done++) expect(keptEpochCheckpoints(100, 7, done).length).toBeLessThanOrEqual(7);
    expect(keptEpochCheckpoints(5, 0, 5)).toEqual([]);
  });

  it("names the files so that they sort by epoch, and reads the names back", () => {
    expect(epochCheckpointName(3)).toBe("epoch-003.safetensors");
    expect(epochCheckpointName(1234)).toBe("epoch-1234.safetensors");
    expect(epochOfCheckpointName("epoch-003.safetensors")).toBe(3);
    expect(epochOfCheckpointName("epoch-1234.safetensors")).toBe(1234);
    expect(epochOfCheckpointName("epoch-003.safetensors.a1b2c3.tmp")).toBeNull();
    expect(epochOfCheckpointName("epoch-000.safetensors")).toBeNull();
    expect(epochOfCheckpointName("weights.safetensors")).toBeNull();
  });
});

describe("the keepEpochCheckpoints option", () => {
  const mlp: ModelSpecInput = {
    input: { shape: [1, 28, 28] },
    layers: [{ kind: "flatten" }, { kind: "dense", units: 10 }],
    classes: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
  };

  it("defaults to 20, takes 0 (off) and refuses a negative or fractional count, naming the field", () => {
    expect(TrainingConfig.parse({}).keepEpochCheckpoints).toBe(DEFAULT_KEEP_EPOCH_CHECKPOINTS);
    expect(DEFAULT_KEEP_EPOCH_CHECKPOINTS).toBe(20);
    expect(validateConfig({ keepEpochCheckpoints: 0 }).ok).toBe(true);
    for (const bad of [-1, 2.5]) {
      const result = validateConfig({ keepEpochCheckpoints: bad });
      expect(result.ok).toBe(false);
      expect(result.problems[0]?.field).toBe("keepEpochCheckpoints");
    }
  });

  it("leaves the fingerprint as it was before the option existed, at any value: it changes nothing trained", () => {
    // The fingerprint pinned before the option was added (fingerprint.test.ts pins the same one).
    const before = "053f279675e35ad6e8981c9ff1c368a0c79969c6ab57829c413359a83cc2eb22";
    expect(configFingerprint(mlp, {})).toBe(before);
    expect(configFingerprint(mlp, { keepEpochCheckpoints: 0 })).toBe(before);
    expect(configFingerprint(mlp, { keepEpochCheckpoints: 500 })).toBe(before);
  });
});

describe("the test images the scrubber follows", () => {
  it("takes each class's first image in turn, then each class's second, and stops at n or when the split runs out", () => {
    //              0  1  2  3  4  5  6  7
    const labels = [2, 2, 0, 1, 0, 2, 1, 0];
    expect(epochSampleIndices(labels, 3, 5)).toEqual([2, 3, 0, 4, 6]);
    expect(epochSampleIndices(labels, 3, 100)).toEqual([2, 3, 0, 4, 6, 1, 7, 5]);
    expect(epochSampleIndices([], 3, 4)).toEqual([]);
    expect(
      epochSampleIndices(
        Uint8Array.from({ length: 600 }, (_, i) => i % 3),
        3,
      ),
    ).toHaveLength(EPOCH_VIEW_SAMPLES);
  });
});
