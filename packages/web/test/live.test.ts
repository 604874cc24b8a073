import { encodeDataset, generateShapes } from "@layerlab/data-core";
import type { TrainEvent } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { appendEvent, decimate, emptySeries, progressOf } from "../src/charts/series";
import { decodeDatasetPayload } from "../src/data/payload";
import { latestOnly } from "../src/draw/liveInference";
import { drawingImage, modelInput } from "../src/draw/preprocess";

const MNIST_SIZE = 28;
const MNIST_BOX = 20;
/** A drawing as a 1×28×28 digit model's input, as the Draw page makes it. */
const preprocessMnist = (ink: Float32Array, size: number) =>
  modelInput({ input: { shape: [1, MNIST_SIZE, MNIST_SIZE] } } as never, true, drawingImage(ink, size));

function batch(seq: number, step: number, loss: number): TrainEvent {
  return {
    seq,
    time: 1000 + seq,
    type: "batch",
    epoch: Math.ceil(step / 10),
    step,
    loss,
    accuracy: 0.5,
    learningRate: 1e-3,
    samplesPerSec: 100,
  };
}

describe("run series", () => {
  it("skips replayed events so a reattached stream misses nothing and counts nothing twice", () => {
    const s = emptySeries();
    const start: TrainEvent = {
      seq: 0,
      time: 1000,
      type: "start",
      backend: "wasm",
      epochs: 2,
      stepsPerEpoch: 10,
      trainSamples: 640,
      valSamples: 0,
      paramCount: 5,
    };
    const stream = [start, batch(1, 5, 2), batch(2, 10, 1.5)];
    for (const e of stream) expect(appendEvent(s, e)).toBe(true);
    // Reconnect replays from the start, then continues.
    for (const e of stream) expect(appendEvent(s, e)).toBe(false);
    expect(appendEvent(s, batch(3, 15, 1))).toBe(true);
    expect(s.batch.step).toEqual([5, 10, 15]);
    expect(s.batch.loss).toEqual([2, 1.5, 1]);
    const p = progressOf(s, 1000 + 3 + 3000);
    expect(p.run).toBeCloseTo(15 / 20);
    expect(p.epoch).toBeCloseTo(5 / 10); // step 15 is 5 steps into epoch 2
  });

  it("decimates 50,000 points to a few thousand, keeping every spike and the last point", () => {
    const n = 50_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 100));
    y[12_345] = 99; // a spike
    y[40_000] = -99;
    const [dx, dy] = decimate(x, y, 600);
    expect(dx.length).toBeLessThanOrEqual(600 * 3 + 1);
    expect(dy).toContain(99);
    expect(dy).toContain(-99);
    expect(dx.at(-1)).toBe(n - 1);
    for (let i = 1; i < dx.length; i++) expect(dx[i]!).toBeGreaterThan(dx[i - 1]!);
    // Small series pass through unchanged.
    expect(decimate([1, 2], [3, 4], 600)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});

describe("MNIST preprocessing of a drawing", () => {
  it("fits the ink into 20×20 and puts its centre of mass at the centre of 28×28", () => {
    const w = 280;
    const ink = new Float32Array(w * w);
    // An off-centre 40×120 bar in the top-left corner.
    for (let y = 10; y < 130; y++) for (let x = 20; x < 60; x++) ink[y * w + x] = 1;
    const out = preprocessMnist(ink, w);
    let mass = 0;
    let mx = 0;
    let my = 0;
    let minX = MNIST_SIZE;
    let maxX = -1;
    let minY = MNIST_SIZE;
    let maxY = -1;
    for (let y = 0; y < MNIST_SIZE; y++) {
      for (let x = 0; x < MNIST_SIZE; x++) {
        const v = out[y * MNIST_SIZE + x]!;
        if (v <= 0) continue;
        mass += v;
        mx += v * (x + 0.5);
        my += v * (y + 0.5);
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
    }
    expect(maxY - minY + 1).toBe(MNIST_BOX); // the long side becomes 20
    expect(maxX - minX + 1).toBe(Math.round((40 * MNIST_BOX) / 120)); // aspect kept: 7
    expect(Math.abs(mx / mass - MNIST_SIZE / 2)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(my / mass - MNIST_SIZE / 2)).toBeLessThanOrEqual(0.5);
    // A solid bar stays solid: area averaging of ones is one.
    expect(Math.max(...out)).toBeCloseTo(1);
  });

  it("returns a blank image for a blank drawing", () => {
    expect(preprocessMnist(new Float32Array(100), 10).every((v) => v === 0)).toBe(true);
  });
});

describe("live inference throttle", () => {
  it("keeps one prediction in flight and then predicts only the latest input", async () => {
    const started: number[] = [];
    const results: number[] = [];
    const waiting: (() => void)[] = [];
    const send = latestOnly(
      (x: number) => {
        started.push(x);
        return new Promise<number>((resolve) => waiting.push(() => resolve(x * 10)));
      },
      (out) => results.push(out),
    );
    send(1);
    send(2);
    send(3); // supersedes 2
    expect(started).toEqual([1]);
    waiting.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([1, 3]);
    waiting.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(results).toEqual([10, 30]);
  });
});

describe("server dataset download", () => {
  it("decodes what the server's encoder writes, byte for byte", () => {
    const dataset = generateShapes({ countPerClass: 20, size: 12, seed: 3 });
    const parts = encodeDataset(dataset);
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.length;
    }
    const back = decodeDatasetPayload(bytes.buffer, "shapes");
    expect(back.shape).toEqual(dataset.shape);
    expect(back.classes).toEqual(dataset.classes);
    expect(back.train.count).toBe(dataset.train.count);
    expect([...back.train.images]).toEqual([...dataset.train.images]);
    expect([...back.test.labels]).toEqual([...dataset.test.labels]);
    expect(() => decodeDatasetPayload(bytes.slice(0, bytes.length - 5).buffer, "shapes")).toThrow(/expected/);
    expect(() => decodeDatasetPayload(new Uint8Array(30).buffer, "shapes")).toThrow(/not a LayerLab dataset/);
  });
});
