import { stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fashionMnistCachePath, loadFashionMnist } from "../src/fashion-mnist";
import { tempDir } from "./fixtures";

describe("Fashion-MNIST", () => {
  it("splits 60,000/10,000 (6,000/1,000 per class), caches as uint8 and reuses the cache", async () => {
    const dataDir = await tempDir();
    const first = await loadFashionMnist(dataDir);
    expect(first.train.count).toBe(60_000);
    expect(first.test.count).toBe(10_000);
    const perClass = (labels: Uint8Array) => {
      const c = new Array(10).fill(0);
      for (const l of labels) c[l]++;
      return c;
    };
    expect(perClass(first.train.labels)).toEqual(new Array(10).fill(6000));
    expect(perClass(first.test.labels)).toEqual(new Array(10).fill(1000));
    // Shuffled with a fixed seed: the first 20 training images mix classes.
    expect(new Set(first.train.labels.subarray(0, 20)).size).toBeGreaterThan(4);
    const cache = fashionMnistCachePath(dataDir);
    const { size, mtimeMs } = await stat(cache);
    expect(size).toBeLessThan(70_000 * 785 + 1000);
    // A second load must come from the cache: the JSON source folder given here does not exist.
    const second = await loadFashionMnist(dataDir, join(dataDir, "no-json-here"));
    // Buffer.compare: a deep-equality diff of 47 MB arrays would exhaust the test worker's heap.
    expect(Buffer.compare(second.train.images, first.train.images)).toBe(0);
    expect(Buffer.compare(second.test.labels, first.test.labels)).toBe(0);
    expect((await stat(cache)).mtimeMs).toBe(mtimeMs);
  });
});
