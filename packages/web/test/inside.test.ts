import type { TrainEvent } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { appendEvent, emptySeries } from "../src/charts/series";
import { featureMaps, toRgba } from "../src/inside/featureMaps";
import {
  connectionCapacity,
  connectionLines,
  divergingColor,
  fitView,
  layoutNetwork,
  mapPixels,
  NEGATIVE_RGB,
  networkBlocks,
  neuronColors,
  outlinePoints,
  POSITIVE_RGB,
  predictedClass,
  structureKey,
  tallGrid,
  topIncoming,
  ZERO_RGB,
} from "../src/inside/network3d";
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

/** An inspection of a dense net: a 1×4×4 input → flatten → dense 5 → ReLU → dense 3, with given numbers. */
function denseInspection(): Inspection {
  const input = noise(16, 1);
  return {
    input: { shape: [1, 4, 4], data: input },
    layers: [
      { layer: 0, kind: "flatten", shape: [16], data: input },
      { layer: 1, kind: "dense", shape: [5], data: noise(5, 3) },
      { layer: 2, kind: "activation", shape: [5], data: noise(5, 2).map(Math.abs) },
      { layer: 3, kind: "dense", shape: [3], data: noise(3, 4) },
    ],
    weights: { 1: { shape: [5, 16], data: noise(80, 5) }, 3: { shape: [3, 5], data: noise(15, 6) } },
  };
}

/** An inspection of a conv net: 1×6×6 → conv 10 → ReLU → max pool → flatten → dense 5 → dense 2. */
function convInspection(): Inspection {
  const input = noise(36, 1);
  const pooled = noise(90, 4);
  return {
    input: { shape: [1, 6, 6], data: input },
    layers: [
      { layer: 0, kind: "conv2d", shape: [10, 6, 6], data: noise(360, 2) },
      { layer: 1, kind: "activation", shape: [10, 6, 6], data: noise(360, 3).map(Math.abs) },
      { layer: 2, kind: "maxPool2d", shape: [10, 3, 3], data: pooled },
      { layer: 3, kind: "flatten", shape: [90], data: pooled },
      { layer: 4, kind: "dense", shape: [5], data: noise(5, 5) },
      { layer: 5, kind: "dense", shape: [2], data: noise(2, 6) },
    ],
    weights: {
      0: { shape: [10, 1, 3, 3], data: noise(90, 7) },
      4: { shape: [5, 90], data: noise(450, 8) },
      5: { shape: [2, 5], data: noise(10, 9) },
    },
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

  it("names one block per layer a learner cares about, folding activations into the layer before", () => {
    const mlp = denseInspection();
    const dense = networkBlocks(mlp);
    expect(dense.map((b) => [b.label, b.kind, b.role])).toEqual([
      ["input 4×4", "neurons", "input"],
      // Numbered by the layer's place in the model, as the builder numbers it.
      ["dense #2 · 5", "neurons", "hidden"],
      ["output · 3", "neurons", "output"],
    ]);
    expect(dense[1]!.values).toBe(mlp.layers[2]!.data); // after the ReLU, not the dense layer's raw output
    expect(dense[0]!.shape).toEqual([4, 4]); // a one-channel image input keeps its rows
    const insp = convInspection();
    const conv = networkBlocks(insp);
    expect(conv.map((b) => [b.label, b.kind])).toEqual([
      ["input 6×6", "maps"],
      ["conv #1 · 10×6×6", "maps"],
      ["max pool #3 · 10×3×3", "maps"],
      ["dense #5 · 5", "neurons"],
      ["output · 2", "neurons"],
    ]);
    expect(conv[1]!.values).toBe(insp.layers[1]!.data); // after the ReLU, not the conv's raw output
    expect(structureKey(conv, 8)).toBe(structureKey(networkBlocks(convInspection()), 8));
    expect(structureKey(conv, 8)).not.toBe(structureKey(dense, 8));
    expect(tallGrid(128)).toEqual([16, 8]);
  });

  it("lays blocks out left to right, caps the maps per layer, and fits the camera to all of it", () => {
    const blocks = networkBlocks(convInspection());
    const layout = layoutNetwork(blocks, 4);
    expect(layout.shownChannels).toEqual([1, 4, 4, 1, 1]);
    expect(layout.planes.length).toBe(1 + 4 + 4);
    expect(layout.neuronRadii.length).toBe(5 + 2);
    // Every block lies wholly to the right of the one before it.
    const xs = blocks.map((_, b) => {
      const own = layout.planes
        .filter((p) => p.block === b)
        .flatMap((p) => [p.center[0] - p.size / 2, p.center[0] + p.size / 2]);
      const start = layout.neuronStart[b]!;
      if (start >= 0)
        for (let i = 0; i < blocks[b]!.values.length; i++) own.push(layout.neuronPositions[(start + i) * 3]!);
      return [Math.min(...own), Math.max(...own)];
    });
    for (let b = 1; b < xs.length; b++) expect(xs[b]![0]!).toBeGreaterThan(xs[b - 1]![1]!);
    // The fitted camera sees every outline point, centred, and could not stand much nearer.
    const len = Math.hypot(-0.4, 0.3, 0.866);
    const unit = [-0.4 / len, 0.3 / len, 0.866 / len] as [number, number, number];
    const points = outlinePoints(layout);
    expect(points.length).toBe((5 + 2 + 9 * 4 + layout.labelReach.length) * 3);
    const fit = fitView(points, unit, 40, 2.5);
    const tanV = Math.tan((40 * Math.PI) / 360);
    const right = [unit[2], 0, -unit[0]].map((v) => v / Math.hypot(unit[2], unit[0]));
    const up = [
      unit[1] * right[2]! - unit[2] * right[1]!,
      unit[2] * right[0]! - unit[0] * right[2]!,
      unit[0] * right[1]! - unit[1] * right[0]!,
    ];
    /** The largest |screen x| / (tan of half the horizontal field) and the same for y, over all points. */
    const reach = (distance: number) => {
      const eye = fit.target.map((t, k) => t + unit[k]! * distance);
      let most = 0;
      let left = 0;
      let rightMost = 0;
      for (let i = 0; i < points.length; i += 3) {
        const p = [0, 1, 2].map((k) => points[i + k]! - eye[k]!);
        const depth = -(p[0]! * unit[0] + p[1]! * unit[1] + p[2]! * unit[2]);
        const x = (p[0]! * right[0]! + p[2]! * right[2]!) / depth / (tanV * 2.5);
        const y = (p[0]! * up[0]! + p[1]! * up[1]! + p[2]! * up[2]!) / depth / tanV;
        most = Math.max(most, Math.abs(x), Math.abs(y));
        left = Math.min(left, x);
        rightMost = Math.max(rightMost, x);
      }
      return { most, left, rightMost };
    };
    const fitted = reach(fit.distance);
    expect(fitted.most).toBeLessThanOrEqual(1);
    expect(fitted.most).toBeGreaterThan(0.85); // fills the view rather than floating small in it
    expect(Math.abs(fitted.left + fitted.rightMost)).toBeLessThan(0.15); // about as much room left as right
    expect(reach(fit.distance * 0.85).most).toBeGreaterThan(1);
  });

  it("draws n lines into every neuron that follows a neurons block, from its strongest inputs", () => {
    const insp = denseInspection();
    const blocks = networkBlocks(insp);
    const layout = layoutNetwork(blocks, 8);
    const lines = connectionLines(blocks, layout, insp.weights, 3);
    expect(lines.count).toBe(5 * 3 + 3 * 3);
    expect(connectionCapacity(blocks, 3)).toBe(lines.count);
    // The first line ends on dense neuron 0 and starts at its strongest input pixel.
    const best = topIncoming(insp.weights[1]!.data, 5, insp.input.data, 1).from[0]!;
    expect([...lines.positions.subarray(0, 3)]).toEqual([...layout.neuronPositions.subarray(best * 3, best * 3 + 3)]);
    expect([...lines.positions.subarray(3, 6)]).toEqual([...layout.neuronPositions.subarray(16 * 3, 16 * 3 + 3)]);
    // A conv net's lines join only its dense layers: the maps have no single neurons to join.
    const conv = convInspection();
    const convBlocks = networkBlocks(conv);
    expect(connectionLines(convBlocks, layoutNetwork(convBlocks, 8), conv.weights, 2).count).toBe(2 * 2);
  });

  it("colours by sign and size: full red, full blue, grey at zero; maps flipped for WebGL", () => {
    const out = new Float32Array(3);
    divergingColor(2, 2, out, 0);
    expect([...out].map((v) => +v.toFixed(3))).toEqual([...POSITIVE_RGB]);
    divergingColor(-5, 2, out, 0);
    expect([...out].map((v) => +v.toFixed(3))).toEqual([...NEGATIVE_RGB]);
    divergingColor(0, 2, out, 0);
    expect([...out].map((v) => +v.toFixed(3))).toEqual([...ZERO_RGB]);
    divergingColor(1, 2, out, 0);
    expect(out[0]!).toBeCloseTo((ZERO_RGB[0] + POSITIVE_RGB[0]) / 2, 5);
    // A 2×1 map: the top value lands in the last row of the texture.
    const px = mapPixels(Float32Array.of(1, -1), 2, 1, 1);
    expect([...px.subarray(4, 7)]).toEqual(POSITIVE_RGB.map((v) => Math.round(v * 255)));
    expect([...px.subarray(0, 3)]).toEqual(NEGATIVE_RGB.map((v) => Math.round(v * 255)));
    const blocks = networkBlocks(denseInspection());
    const colors = neuronColors(blocks, layoutNetwork(blocks, 8));
    expect(colors.length).toBe((16 + 5 + 3) * 3);
  });

  it("names the predicted class with its softmax probability", () => {
    const logits = Float32Array.of(0.5, 2, -1);
    const got = predictedClass(logits, ["a", "b", "c"]);
    const sum = Math.exp(0.5) + Math.exp(2) + Math.exp(-1);
    expect(got).toEqual({ index: 1, name: "b", probability: expect.closeTo(Math.exp(2) / sum, 6) });
    expect(predictedClass(logits, []).name).toBe("class 1");
  });
});

describe("feature maps", () => {
  it("splits each image output into channels and averages a conv's filters over their input channels", () => {
    const weight = noise(4 * 2 * 3 * 3, 3);
    const insp: Inspection = {
      input: { shape: [2, 5, 5], data: noise(50, 1) },
      layers: [
        { layer: 0, kind: "conv2d", shape: [4, 3, 3], data: noise(36, 2) },
        { layer: 1, kind: "activation", shape: [4, 3, 3], data: noise(36, 4) },
      ],
      weights: { 0: { shape: [4, 2, 3, 3], data: weight } },
    };
    const [maps, activation, ...rest] = featureMaps(insp);
    expect(rest).toEqual([]);
    // The ReLU after the conv shows its own maps, without filters (it has none).
    expect(activation).toMatchObject({
      layer: 1,
      kind: "activation",
      title: "activation #2",
      takes: null,
      filters: [],
    });
    expect(activation!.channels[1]![0]).toBe(insp.layers[1]!.data[9]);
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
