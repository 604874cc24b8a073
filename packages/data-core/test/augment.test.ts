import { describe, expect, it } from "vitest";
import { augmentBatch } from "../src/augment";
import type { Batch } from "../src/batching";

const SHAPE = [1, 8, 8] as const;

/** A batch of `n` 8×8 images with pixel value x + 8y + 100·k, all distinct. */
function rampBatch(n: number): Batch {
  const x = new Float32Array(n * 64);
  for (let k = 0; k < n; k++) for (let p = 0; p < 64; p++) x[k * 64 + p] = p + 100 * k;
  return { x, y: new Int32Array(n), size: n };
}

const key = { seed: 9, epoch: 1, batchIndex: 4 };

describe("augmentBatch", () => {
  it("changes nothing when every setting is off", () => {
    const batch = rampBatch(4);
    const before = batch.x.slice();
    augmentBatch(batch, SHAPE, { shift: 0, rotation: 0, zoom: 0, horizontalFlip: false, cutout: 0 }, key, [0]);
    expect(batch.x).toEqual(before);
  });

  it("mirrors each image exactly or leaves it, seeded, and never flips when the set forbids it", () => {
    const batch = rampBatch(32);
    augmentBatch(batch, SHAPE, { horizontalFlip: true }, key, [0]);
    let flipped = 0;
    for (let k = 0; k < 32; k++) {
      const img = batch.x.subarray(k * 64, (k + 1) * 64);
      const mirrored = img[0] === 7 + 100 * k;
      if (mirrored) flipped++;
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const src = mirrored ? 7 - x : x;
          expect(img[y * 8 + x]).toBeCloseTo(src + 8 * y + 100 * k, 4);
        }
      }
    }
    expect(flipped).toBeGreaterThan(4);
    expect(flipped).toBeLessThan(28);
    const forbidden = rampBatch(32);
    augmentBatch(forbidden, SHAPE, { horizontalFlip: true }, key, [0], false);
    expect(forbidden.x).toEqual(rampBatch(32).x);
  });

  it("replays under the same (seed, epoch, batch) and differs for another batch index", () => {
    const aug = { shift: 0.2, rotation: 30, zoom: 0.2, horizontalFlip: true, cutout: 0.25 };
    const a = augmentBatch(rampBatch(8), SHAPE, aug, key, [-1]);
    const b = augmentBatch(rampBatch(8), SHAPE, aug, key, [-1]);
    const c = augmentBatch(rampBatch(8), SHAPE, aug, { ...key, batchIndex: 5 }, [-1]);
    expect(a.x).toEqual(b.x);
    expect(a.x).not.toEqual(c.x);
  });

  it("keeps a constant image constant inside under rotation and zoom (bilinear weights sum to 1)", () => {
    const batch: Batch = { x: new Float32Array(64 * 4).fill(0.5), y: new Int32Array(4), size: 4 };
    augmentBatch(batch, SHAPE, { rotation: 45, zoom: 0.3 }, key, [0.5]);
    for (const v of batch.x) expect(v).toBeCloseTo(0.5, 5);
  });

  it("erases a square of the given side with the fill value", () => {
    const batch: Batch = { x: new Float32Array(64 * 16).fill(1), y: new Int32Array(16), size: 16 };
    augmentBatch(batch, SHAPE, { cutout: 0.5 }, key, [-3]);
    for (let k = 0; k < 16; k++) {
      const erased = [...batch.x.subarray(k * 64, (k + 1) * 64)].filter((v) => v === -3).length;
      // A 4×4 square, clipped at the border to at least 2×2.
      expect(erased).toBeGreaterThanOrEqual(4);
      expect(erased).toBeLessThanOrEqual(16);
    }
  });

  it("shifts content without rotation: the image is the ramp moved by a constant offset", () => {
    const batch = rampBatch(8);
    augmentBatch(batch, SHAPE, { shift: 0.25 }, key, [0]);
    for (let k = 0; k < 8; k++) {
      const img = batch.x.subarray(k * 64, (k + 1) * 64);
      // On a linear ramp bilinear resampling is exact: interior value(x+1) − value(x) = 1, value(y+1) − value(y) = 8.
      expect(img[4 * 8 + 4]! - img[4 * 8 + 3]!).toBeCloseTo(1, 4);
      expect(img[4 * 8 + 4]! - img[3 * 8 + 4]!).toBeCloseTo(8, 4);
    }
  });
});
