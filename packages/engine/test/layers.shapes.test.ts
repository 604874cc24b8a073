// Every kind's real output shape equals its `outShape`, over a range of
// inputs; bad placements get errors that say what to do.
import { numpy as np, random } from "@jax-js/jax";
import type { LayerInput, Shape } from "@layerlab/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { applyLayer, implOf, initWasm, layerOf } from "./layers.support";

beforeAll(() => initWasm());

const IMAGE_SHAPES: Shape[] = [
  [1, 28, 28],
  [3, 7, 9],
  [2, 5, 5],
  [4, 6, 11],
];

const IMAGE_LAYERS: LayerInput[] = [
  { kind: "conv2d", filters: 4, kernel: 3 },
  { kind: "conv2d", filters: 2, kernel: 3, stride: 2 },
  { kind: "conv2d", filters: 2, kernel: 2, padding: "same" },
  { kind: "conv2d", filters: 3, kernel: 5, stride: 3, padding: "same" },
  { kind: "conv2d", filters: 3, kernel: 4, stride: 2, padding: "same" },
  { kind: "maxPool2d" },
  { kind: "maxPool2d", size: 3, stride: 2 },
  { kind: "avgPool2d", size: 3, stride: 1 },
  { kind: "avgPool2d", size: 2, stride: 3 },
  { kind: "globalAvgPool" },
  { kind: "batchNorm" },
  { kind: "dropout", rate: 0.3 },
  { kind: "flatten" },
  { kind: "activation", fn: "gelu" },
];

const FEATURE_LAYERS: LayerInput[] = [
  { kind: "dense", units: 5 },
  { kind: "batchNorm" },
  { kind: "dropout" },
  { kind: "flatten" },
  { kind: "activation", fn: "leakyRelu", alpha: 0.1 },
];

function runShape(input: LayerInput, inShape: Shape, mode: "train" | "eval"): { declared: Shape; actual: number[] } {
  const layer = layerOf(input);
  const impl = implOf(layer);
  const declared = impl.outShape(layer as never, inShape);
  const vars = impl.init(layer as never, inShape, random.key(3));
  const x = random.uniform(random.key(4), [2, ...inShape]);
  const key = impl.needsKey && mode === "train" ? random.key(5) : undefined;
  const { y, state } = applyLayer(layer, vars, x, { mode, key });
  const actual = y.shape;
  y.dispose();
  for (const a of Object.values(state)) a.dispose();
  return { declared, actual };
}

describe("outShape agrees with apply", () => {
  for (const input of IMAGE_LAYERS) {
    it.each(IMAGE_SHAPES)(`${JSON.stringify(input)} on [%i, %i, %i]`, (...inShape) => {
      for (const mode of ["train", "eval"] as const) {
        const { declared, actual } = runShape(input, inShape, mode);
        expect(actual).toEqual([2, ...declared]);
      }
    });
  }
  it.each(FEATURE_LAYERS)("$kind on [7]", (input) => {
    const { declared, actual } = runShape(input, [7], "train");
    expect(actual).toEqual([2, ...declared]);
  });

  it("conv 'same' gives ceil(in / stride) per axis, 'valid' floor((in − k) / stride) + 1", () => {
    const same = layerOf({ kind: "conv2d", filters: 1, kernel: 4, stride: 3, padding: "same" });
    expect(implOf(same).outShape(same as never, [1, 10, 9])).toEqual([1, 4, 3]);
    const valid = layerOf({ kind: "conv2d", filters: 6, kernel: 4, stride: 3 });
    expect(implOf(valid).outShape(valid as never, [1, 10, 9])).toEqual([6, 3, 2]);
    const pool = layerOf({ kind: "maxPool2d", size: 3, stride: 2 });
    expect(implOf(pool).outShape(pool as never, [5, 8, 7])).toEqual([5, 3, 3]);
  });
});

describe("bad placements get actionable errors", () => {
  it("conv2d on features asks for an image input", () => {
    const layer = layerOf({ kind: "conv2d", filters: 2, kernel: 3 });
    expect(() => implOf(layer).outShape(layer as never, [784])).toThrow(/conv2d needs an image input \[C, H, W\]/);
  });
  it("dense on an image asks for a flatten", () => {
    const layer = layerOf({ kind: "dense", units: 2 });
    expect(() => implOf(layer).outShape(layer as never, [1, 4, 4])).toThrow(/add a flatten/);
  });
  it("a kernel larger than the input says so", () => {
    const layer = layerOf({ kind: "conv2d", filters: 2, kernel: 5 });
    expect(() => implOf(layer).outShape(layer as never, [1, 3, 3])).toThrow(/does not fit the input \[1, 3, 3\]/);
    const pool = layerOf({ kind: "maxPool2d", size: 4 });
    expect(() => implOf(pool).outShape(pool as never, [1, 3, 8])).toThrow(/maxPool2d with a 4×4 window/);
  });
  it("batchNorm in train mode on a batch of one explains the batch size", () => {
    const layer = layerOf({ kind: "batchNorm" });
    const vars = implOf(layer).init(layer as never, [3], random.key(0));
    expect(() => applyLayer(layer, vars, np.ones([1, 3]), { mode: "train" })).toThrow(/batch size above 1/);
  });
  it("dropout in train mode without a key says who passes it", () => {
    const layer = layerOf({ kind: "dropout", rate: 0.5 });
    expect(() => applyLayer(layer, { params: {}, state: {} }, np.ones([2, 3]), { mode: "train" })).toThrow(
      /needs a PRNG key/,
    );
  });
});
