import { describe, expect, it } from "vitest";
import { computeNormalization } from "../src/normalize";

/** Two images [C=2, 1×2]: channel 0 holds 0, 255 | 255, 255; channel 1 is 51 everywhere. */
const twoChannels = {
  images: Uint8Array.from([0, 255, 51, 51, 255, 255, 51, 51]),
  labels: new Uint8Array(2),
  count: 2,
};
const twoChannelShape = [2, 1, 2];

describe("computeNormalization", () => {
  it("matches a hand computation per channel", () => {
    const norm = computeNormalization(twoChannels, twoChannelShape);
    expect(norm.mean[0]).toBeCloseTo(0.75, 10);
    expect(norm.std[0]).toBeCloseTo(Math.sqrt(0.75 - 0.75 ** 2), 10);
    expect(norm.mean[1]).toBeCloseTo(0.2, 10);
    expect(norm.std[1]).toBe(1e-6); // constant channel: floored, never zero
  });

  it("uses only the given indices", () => {
    const images = Uint8Array.from([0, 0, 255, 255]);
    const norm = computeNormalization({ images, labels: new Uint8Array(2), count: 2 }, [1, 1, 2], [1]);
    expect(norm.mean[0]).toBeCloseTo(1, 10);
  });

  it("'per-channel' is the default", () => {
    expect(computeNormalization(twoChannels, twoChannelShape, undefined, "per-channel")).toEqual(
      computeNormalization(twoChannels, twoChannelShape),
    );
  });

  it("'global' repeats one mean/std over all channels' pixels", () => {
    // All 8 values in [0, 1]: 0, 1, 1, 1, 0.2 ×4 → mean 3.8/8 = 0.475, E[x²] = (3 + 4·0.04)/8 = 0.395.
    const norm = computeNormalization(twoChannels, twoChannelShape, undefined, "global");
    const std = Math.sqrt(0.395 - 0.475 ** 2); // ≈ 0.41155
    expect(norm.mean).toHaveLength(2);
    for (const m of norm.mean) expect(m).toBeCloseTo(0.475, 10);
    for (const s of norm.std) expect(s).toBeCloseTo(std, 10);
  });

  it("'global' honours indices and equals 'per-channel' on one channel", () => {
    // Image 1 only: 1, 1, 0.2, 0.2 → mean 0.6, E[x²] = (2 + 0.08)/4 = 0.52, variance 0.16.
    const norm = computeNormalization(twoChannels, twoChannelShape, [1], "global");
    expect(norm.mean[0]).toBeCloseTo(0.6, 10);
    expect(norm.std[1]).toBeCloseTo(0.4, 10);
    const grey = { images: Uint8Array.from([0, 51, 102, 255]), labels: new Uint8Array(2), count: 2 };
    expect(computeNormalization(grey, [1, 1, 2], undefined, "global")).toEqual(
      computeNormalization(grey, [1, 1, 2], undefined, "per-channel"),
    );
  });

  it("'none' leaves pixels at /255: mean 0 and std 1 per channel", () => {
    expect(computeNormalization(twoChannels, twoChannelShape, undefined, "none")).toEqual({
      mean: [0, 0],
      std: [1, 1],
    });
    const rgb = { images: new Uint8Array(3 * 4).fill(200), labels: new Uint8Array(1), count: 1 };
    expect(computeNormalization(rgb, [3, 2, 2], [0], "none")).toEqual({ mean: [0, 0, 0], std: [1, 1, 1] });
  });
});
