import type { TrainEvent } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { appendEvent, emptySeries } from "../src/charts/series";
import { featureMaps, toRgba } from "../src/inside/featureMaps";
import { buildScene, denseColumns, squareGrid, topIncoming } from "../src/inside/network3d";
import { gradientWarnings } from "../src/train/gradientWarnings";
import type { Inspection } from "../src/train/protocol";

/** A seeded pseudo-random sequence in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** An inspection of a dense net 2×3×3 input → flatten → dense 4 (relu) → dense 2, with given numbers. */
function denseInspection(): Inspection {
  const input = noise(18, 1);
  const h = noise(4, 2).map(Math.abs);
  return {
    input: { shape: [2, 3, 3], data: input },
    layers: [
      { layer: 0, kind: "flatten", shape: [18], data: input },
      { layer: 1, kind: "dense", shape: [4], data: noise(4, 3) },
      { layer: 2, kind: "activation", shape: [4], data: h },
      { layer: 3, kind: "dense", shape: [2], data: noise(2, 4) },
    ],
    weights: { 1: { shape: [4, 18], data: noise(72, 5) }, 3: { shape: [2, 4], data: noise(8, 6) } },
  };
}

describe("3D network view data", () => {
  it("picks, per neuron, the n inputs with the largest |weight × activation| (brute-force oracle)", () => {
    const out = 5;
    const inputs = noise(40, 7);
    const weight = noise(out * 40, 8);
    const n = 6;
    const got = topIncoming(weight, out, inputs, n);
    expect(got.from.length).toBe(out * n);
    for (let o = 0; o < out; o++) {
      const all = [...inputs.keys()].map((i) => ({ i, s: weight[o * 40 + i]! * inputs[i]! }));
      all.sort((a, b) => Math.abs(b.s) - Math.abs(a.s));
      const expected = all.slice(0, n);
      expect([...got.from.subarray(o * n, (o + 1) * n)]).toEqual(expected.map((e) => e.i));
      expect([...got.to.subarray(o * n, (o + 1) * n)]).toEqual(new Array(n).fill(o));
      got.strength.subarray(o * n, (o + 1) * n).forEach((s, k) => {
        expect(s).toBeCloseTo(expected[k]!.s, 6);
      });
    }
    // n larger than the inputs keeps them all; a wrong weight size is a clear error.
    expect(topIncoming(noise(6, 1), 2, noise(3, 2), 10).from.length).toBe(6);
    expect(() => topIncoming(noise(5, 1), 2, noise(3, 2), 2)).toThrow(/expected 2×3/);
  });

  it("makes one column per dense layer, showing the output after its activation", () => {
    const insp = denseInspection();
    const cols = denseColumns(insp);
    if (typeof cols === "string") throw new Error(cols);
    expect(cols.map((c) => c.layer)).toEqual([-1, 1, 3]);
    expect(cols[0]!.grid).toEqual(squareGrid(18)); // two channels: not one image grid
    expect(cols[1]!.values).toBe(insp.layers[2]!.data); // after the ReLU, not the dense layer's raw output
    expect(cols[2]!.values.length).toBe(2);
    expect(squareGrid(128)).toEqual([11, 12]);
    const conv = { ...insp, layers: [{ layer: 0, kind: "conv2d", shape: [1, 3, 3], data: noise(9, 1) }] };
    expect(denseColumns(conv)).toMatch(/layer 1 is a conv2d/);
  });

  it("lays out every neuron once and one line per kept connection, coloured by sign", () => {
    const insp = denseInspection();
    const cols = denseColumns(insp) as Exclude<ReturnType<typeof denseColumns>, string>;
    const scene = buildScene(cols, insp.weights, 3);
    expect(scene.pointPositions.length).toBe((18 + 4 + 2) * 3);
    expect(scene.linePositions.length).toBe((4 * 3 + 2 * 3) * 6);
    // Each line starts on a neuron of the previous column and ends on one of the next (x is the layer axis).
    const xs = new Set([...scene.pointPositions].filter((_, i) => i % 3 === 0));
    expect(xs.size).toBe(3);
    for (let e = 0; e < scene.linePositions.length / 6; e++) {
      expect(scene.linePositions[e * 6]!).toBeLessThan(scene.linePositions[e * 6 + 3]!);
    }
    // The strongest positive neuron of a column is fully orange; the strongest negative one fully blue.
    const input = insp.input.data;
    const maxAt = input.indexOf(Math.max(...input));
    const minAt = input.indexOf(Math.min(...input));
    const top = Math.max(...input.map(Math.abs));
    const rgb = (i: number) => [...scene.pointColors.subarray(i * 3, i * 3 + 3)].map((v) => Number(v.toFixed(3)));
    if (input[maxAt] === top) expect(rgb(maxAt)).toEqual([1, 0.5, 0.1]);
    else expect(rgb(minAt)).toEqual([0.2, 0.55, 1]);
  });
});

describe("feature maps", () => {
  it("splits each conv output into channels and averages filters over their input channels", () => {
    const weight = noise(4 * 2 * 3 * 3, 3);
    const insp: Inspection = {
      input: { shape: [2, 5, 5], data: noise(50, 1) },
      layers: [
        { layer: 0, kind: "conv2d", shape: [4, 3, 3], data: noise(36, 2) },
        { layer: 1, kind: "activation", shape: [4, 3, 3], data: noise(36, 4) },
      ],
      weights: { 0: { shape: [4, 2, 3, 3], data: weight } },
    };
    const [maps, ...rest] = featureMaps(insp);
    expect(rest).toEqual([]);
    expect(maps!.shape).toEqual([4, 3, 3]);
    expect(maps!.channels.map((c) => c.length)).toEqual([9, 9, 9, 9]);
    expect(maps!.channels[2]![0]).toBe(insp.layers[0]!.data[18]);
    expect(maps!.filterSize).toEqual([3, 3]);
    // Filter 1, pixel 4: the mean of weight[1, 0, 1, 1] and weight[1, 1, 1, 1].
    expect(maps!.filters[1]![4]).toBeCloseTo((weight[18 + 4]! + weight[27 + 4]!) / 2, 6);
  });

  it("paints non-negative maps black to white and signed ones around grey", () => {
    expect([...toRgba(Float32Array.of(0, 2, 1))]).toEqual([0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255]);
    const signed = toRgba(Float32Array.of(-1, 0, 1));
    expect([...signed.subarray(4, 8)]).toEqual([128, 128, 128, 255]);
    expect(signed[2]!).toBeGreaterThan(signed[0]!); // negative is blue
    expect(signed[8]!).toBeGreaterThan(signed[10]!); // positive is orange
  });
});

describe("gradient flow", () => {
  const event = (seq: number, step: number, layers: [number, number | null][]): TrainEvent => ({
    seq,
    time: 0,
    type: "gradients",
    epoch: 1,
    step,
    layers: layers.map(([layer, gradNorm]) => ({ layer, kind: "dense", gradNorm, updateRatio: 1e-3 })),
  });

  it("keeps one aligned column per layer and warns on vanishing, exploding and overflowing gradients", () => {
    const s = emptySeries();
    appendEvent(s, event(0, 5, [[1, 0.5]]));
    appendEvent(
      s,
      event(1, 10, [
        [1, 0.4],
        [3, 2e-8],
      ]),
    );
    expect(appendEvent(s, event(1, 10, [[1, 0.4]]))).toBe(false); // a replay
    expect(s.gradients.step).toEqual([5, 10]);
    expect(s.gradients.layers.get(1)!.gradNorm).toEqual([0.5, 0.4]);
    expect(s.gradients.layers.get(3)!.gradNorm).toEqual([Number.NaN, 2e-8]);
    expect(gradientWarnings(s.gradients).map((w) => [w.layer, w.kind])).toEqual([[3, "vanishing"]]);
    appendEvent(
      s,
      event(2, 15, [
        [1, 5e3],
        [3, null],
      ]),
    );
    expect(gradientWarnings(s.gradients).map((w) => [w.layer, w.kind])).toEqual([
      [1, "exploding"],
      [3, "overflow"],
    ]);
    appendEvent(
      s,
      event(3, 20, [
        [1, 1],
        [3, 1e-2],
      ]),
    );
    expect(gradientWarnings(s.gradients)).toEqual([]);
    expect(s.gradients.recent).toHaveLength(4);
  });
});
