// The two random layers parts: dropout masks and PyTorch-style initialisation.
import { numpy as np, random } from "@jax-js/jax";
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../src/layers/registry";
import { applyLayer, initWasm, layerOf } from "./layers.support";

beforeAll(() => initWasm());

describe("dropout", () => {
  const rate = 0.3;
  const layer = layerOf({ kind: "dropout", rate });
  const n = 20_000;

  it("is the identity in eval mode", () => {
    const x = random.uniform(random.key(1), [4, 50]);
    const { y } = applyLayer(layer, { params: {}, state: {} }, x.ref, { mode: "eval", key: random.key(2) });
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
  });

  it("zeroes about `rate` of the units in train mode and scales the rest by 1/(1 − rate)", () => {
    const x = random.uniform(random.key(3), [4, n / 4], { minval: 0.5, maxval: 1.5 });
    const xs = x.ref.dataSync();
    const { y } = applyLayer(layer, { params: {}, state: {} }, x, { mode: "train", key: random.key(4) });
    const ys = Array.from(y.dataSync() as Float32Array);
    let zeros = 0;
    let worstScale = 0;
    ys.forEach((v, i) => {
      if (v === 0) zeros++;
      else worstScale = Math.max(worstScale, Math.abs(v - xs[i]! / (1 - rate)));
    });
    expect(worstScale).toBeLessThan(1e-6);
    // Binomial(n, rate): sd = sqrt(n·rate·(1−rate)) ≈ 65; 5 sd is about 0.016 of n.
    expect(Math.abs(zeros / n - rate)).toBeLessThan((5 * Math.sqrt(n * rate * (1 - rate))) / n);
  });

  it("draws a different mask for a different key, the same for the same key", () => {
    const mask = (seed: number) =>
      Array.from(
        applyLayer(layer, { params: {}, state: {} }, np.ones([1, 200]), {
          mode: "train",
          key: random.key(seed),
        }).y.dataSync(),
      );
    expect(mask(9)).toEqual(mask(9));
    expect(mask(9)).not.toEqual(mask(10));
  });

  it("with rate 0 needs no key in train mode", () => {
    const zero = layerOf({ kind: "dropout", rate: 0 });
    const { y } = applyLayer(zero, { params: {}, state: {} }, np.ones([2, 3]), { mode: "train" });
    expect(Array.from(y.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

/** Mean and (population) variance of a flat array. */
function moments(values: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    sum += v;
    sq += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / values.length;
  return { mean, variance: sq / values.length - mean * mean, min, max };
}

describe("initialisation follows PyTorch's defaults", () => {
  // U(−b, b) has mean 0 and variance b²/3; with m samples the sample mean has
  // sd b/sqrt(3m) and the sample variance sd ≈ b²·sqrt(4/(45m)). Bounds are 5 sd.
  function expectUniform(values: ArrayLike<number>, bound: number) {
    const { mean, variance, min, max } = moments(values);
    const m = values.length;
    expect(min).toBeGreaterThanOrEqual(-bound);
    expect(max).toBeLessThanOrEqual(bound);
    // Fills the whole range: P(no sample within 20/m·b of an end) = (1 − 10/m)^m ≈ e⁻¹⁰.
    expect(min).toBeLessThan(-(1 - 20 / m) * bound);
    expect(max).toBeGreaterThan((1 - 20 / m) * bound);
    expect(Math.abs(mean)).toBeLessThan((5 * bound) / Math.sqrt(3 * m));
    expect(Math.abs(variance - (bound * bound) / 3)).toBeLessThan(5 * bound * bound * Math.sqrt(4 / (45 * m)));
  }

  it("dense: weight [out, in] and bias [out] ~ U(±1/√in)", () => {
    const layer = layerOf({ kind: "dense", units: 300 });
    const { params, state } = LAYERS.dense.init(layer as never, [400], random.key(42));
    expect(params.weight!.shape).toEqual([300, 400]);
    expect(params.bias!.shape).toEqual([300]);
    expect(Object.keys(state)).toEqual([]);
    expectUniform(params.weight!.dataSync(), 1 / Math.sqrt(400));
    expectUniform(params.bias!.dataSync(), 1 / Math.sqrt(400));
  });

  it("conv2d: weight [out, in, k, k] and bias ~ U(±1/√(in·k·k)); no bias when asked", () => {
    const layer = layerOf({ kind: "conv2d", filters: 128, kernel: 5, bias: false });
    const { params } = LAYERS.conv2d.init(layer as never, [16, 10, 10], random.key(7));
    expect(params.weight!.shape).toEqual([128, 16, 5, 5]);
    expect(params.bias).toBeUndefined();
    expectUniform(params.weight!.dataSync(), 1 / Math.sqrt(16 * 25));
    const withBias = layerOf({ kind: "conv2d", filters: 2000, kernel: 3 });
    const vars = LAYERS.conv2d.init(withBias as never, [3, 8, 8], random.key(8));
    expectUniform(vars.params.bias!.dataSync(), 1 / Math.sqrt(27));
    vars.params.weight!.dispose();
  });

  it("batchNorm: weight 1, bias 0, running_mean 0, running_var 1", () => {
    const layer = layerOf({ kind: "batchNorm" });
    const { params, state } = LAYERS.batchNorm.init(layer as never, [3, 4, 4], random.key(1));
    expect(Array.from(params.weight!.dataSync())).toEqual([1, 1, 1]);
    expect(Array.from(params.bias!.dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(state.running_mean!.dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(state.running_var!.dataSync())).toEqual([1, 1, 1]);
  });

  it("the same key gives the same weights, another key others", () => {
    const layer = layerOf({ kind: "dense", units: 8 });
    const draw = (seed: number) =>
      Array.from(LAYERS.dense.init(layer as never, [6], random.key(seed)).params.weight!.dataSync());
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });
});
