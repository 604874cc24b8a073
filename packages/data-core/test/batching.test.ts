import { describe, expect, it } from "vitest";
import { epochBatches, foldSplit, gatherBatch, trainingBatches, validationSplit } from "../src/batching";
import type { ImageSet } from "../src/dataset";
import { computeNormalization } from "../src/normalize";

/** Two-channel 1×2 images: image i holds pixels [i, 2i | 10+i, 20+i]. */
function tinySet(count: number): ImageSet {
  const images = new Uint8Array(count * 4);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    images.set([i, 2 * i, 10 + i, 20 + i], i * 4);
    labels[i] = i % 3;
  }
  return { images, labels, count };
}

describe("gatherBatch", () => {
  it("normalises each channel as (v/255 − mean)/std and copies labels", () => {
    const set = tinySet(5);
    const norm = { mean: [0.1, 0.2], std: [0.5, 0.25] };
    const batch = gatherBatch(set, [2, 1, 2], [3, 1], norm);
    const f = (v: number, c: number) => (v / 255 - norm.mean[c]!) / norm.std[c]!;
    const expected = [f(3, 0), f(6, 0), f(13, 1), f(23, 1), f(1, 0), f(2, 0), f(11, 1), f(21, 1)];
    for (const [i, v] of expected.entries()) expect(batch.x[i]).toBeCloseTo(v, 5);
    expect([...batch.y]).toEqual([0, 1]);
    expect(batch.size).toBe(2);
  });

  it("reuses the output buffers when their size fits", () => {
    const set = tinySet(5);
    const norm = { mean: [0, 0], std: [1, 1] };
    const first = gatherBatch(set, [2, 1, 2], [0, 1], norm);
    const second = gatherBatch(set, [2, 1, 2], [2, 3], norm, first);
    expect(second.x).toBe(first.x);
    expect(second.x[0]).toBeCloseTo(2 / 255, 6);
  });
});

describe("epochBatches", () => {
  it("covers the given indices exactly once, shuffled per epoch and seed", () => {
    const indices = Uint32Array.from({ length: 103 }, (_, i) => i * 2);
    const e0 = epochBatches(indices, { batchSize: 10, seed: 5, epoch: 0 });
    expect(e0.length).toBe(11);
    expect(e0[10]!.length).toBe(3);
    const flat = e0.flatMap((b) => [...b]);
    expect([...flat].sort((a, b) => a - b)).toEqual([...indices]);
    expect(flat).not.toEqual([...indices]);
    expect(epochBatches(indices, { batchSize: 10, seed: 5, epoch: 0 })).toEqual(e0);
    const e1 = epochBatches(indices, { batchSize: 10, seed: 5, epoch: 1 }).flatMap((b) => [...b]);
    expect(e1).not.toEqual(flat);
  });

  it("drops a last partial batch on request and keeps order without shuffle", () => {
    const indices = [4, 5, 6, 7, 8];
    expect(epochBatches(indices, { batchSize: 2, seed: 0, epoch: 0, dropLast: true }).length).toBe(2);
    const plain = epochBatches(indices, { batchSize: 2, seed: 0, epoch: 0, shuffle: false });
    expect(plain.map((b) => [...b])).toEqual([[4, 5], [6, 7], [8]]);
  });
});

describe("validationSplit", () => {
  it("takes the fraction from each class, disjoint and complete, under its seed", () => {
    const set = tinySet(300); // 100 per class
    const { train, val } = validationSplit(set, 0.1, 3);
    expect(val.length).toBe(30);
    expect(train.length).toBe(270);
    const perClass = [0, 0, 0];
    for (const i of val) perClass[set.labels[i]!]!++;
    expect(perClass).toEqual([10, 10, 10]);
    expect(new Set([...train, ...val]).size).toBe(300);
    expect(validationSplit(set, 0.1, 3).val).toEqual(val);
    expect(validationSplit(set, 0.1, 4).val).not.toEqual(val);
  });
});

describe("foldSplit", () => {
  it("cuts each class into k stratified folds that are disjoint and together cover every sample once", () => {
    const set = tinySet(301); // 101, 100, 100 per class: folds differ by at most one per class
    const folds = [0, 1, 2, 3, 4].map((f) => foldSplit(set, 5, f, 3));
    const seen = new Map<number, number>();
    for (const { train, val } of folds) {
      expect(train.length + val.length).toBe(301);
      expect(new Set([...train, ...val]).size).toBe(301);
      const perClass = [0, 0, 0];
      for (const i of val) {
        perClass[set.labels[i]!]!++;
        seen.set(i, (seen.get(i) ?? 0) + 1);
      }
      expect(perClass[1]).toBe(20);
      expect(perClass[2]).toBe(20);
      expect([20, 21]).toContain(perClass[0]);
    }
    expect(seen.size).toBe(301);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(foldSplit(set, 5, 2, 3).val).toEqual(folds[2]!.val);
    expect(foldSplit(set, 5, 2, 4).val).not.toEqual(folds[2]!.val);
  });

  it("refuses a fold that does not exist, naming the rule", () => {
    expect(() => foldSplit(tinySet(30), 5, 5, 0)).toThrow(/fold 5 of 5 does not exist; folds ≥ 2 and 0 ≤ fold < folds/);
    expect(() => foldSplit(tinySet(30), 1, 0, 0)).toThrow(/does not exist/);
  });
});

describe("trainingBatches", () => {
  it("yields the same batches as gatherBatch over epochBatches when not augmenting", () => {
    const set = tinySet(20);
    const shape = [2, 1, 2];
    const norm = computeNormalization(set, shape);
    const indices = Uint32Array.from({ length: 20 }, (_, i) => i);
    const opts = { batchSize: 8, seed: 1, epoch: 2 };
    const expected = epochBatches(indices, opts).map((idx) => [...gatherBatch(set, shape, idx, norm).x]);
    // The generator reuses two buffers, so compare while iterating.
    let k = 0;
    for (const batch of trainingBatches(set, shape, indices, norm, opts)) expect([...batch.x]).toEqual(expected[k++]);
    expect(k).toBe(3);
  });
});
