import { describe, expect, it } from "vitest";
import { computeNormalization } from "../src/normalize";

describe("computeNormalization", () => {
  it("matches a hand computation per channel", () => {
    // Two images [C=2, 1×2]: channel 0 values 0, 255, 255, 255; channel 1 all 51.
    const images = Uint8Array.from([0, 255, 51, 51, 255, 255, 51, 51]);
    const norm = computeNormalization({ images, labels: new Uint8Array(2), count: 2 }, [2, 1, 2]);
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
});
