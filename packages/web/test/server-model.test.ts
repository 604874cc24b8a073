import { encodeSafetensors, type HostTensor } from "@layerlab/engine/safetensors";
import { NORMALIZATION_METADATA_KEY } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { channelsOf, checkNormalization, normalizationFromWeights, softmax } from "../src/draw/serverModel";

/*
 * The pure parts of loading a server run's model into the page: reading the
 * normalisation its weights carry, and the probabilities of its logits.
 */

const weight: Record<string, HostTensor> = {
  "0.weight": { dtype: "F32", shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
};

/** A safetensors file with one tensor and the given metadata. */
function weightsWith(metadata?: Record<string, string>): Uint8Array {
  return encodeSafetensors(weight, metadata);
}

describe("normalisation from a run's weights", () => {
  it("reads the per-channel mean and std from the metadata", () => {
    const bytes = weightsWith({
      [NORMALIZATION_METADATA_KEY]: JSON.stringify({ mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6] }),
      "layerlab.epoch": "3",
    });
    expect(normalizationFromWeights(bytes, 3)).toEqual({ mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6] });
  });

  it("gives every channel a single recorded mean and std", () => {
    const bytes = weightsWith({ [NORMALIZATION_METADATA_KEY]: JSON.stringify({ mean: [0.13], std: [0.31] }) });
    expect(normalizationFromWeights(bytes, 3)).toEqual({ mean: [0.13, 0.13, 0.13], std: [0.31, 0.31, 0.31] });
  });

  it("is null when the weights record none", () => {
    expect(normalizationFromWeights(weightsWith(), 1)).toBeNull();
    expect(normalizationFromWeights(weightsWith({ format: "pt" }), 1)).toBeNull();
  });

  it("refuses a malformed record with an error naming it", () => {
    expect(() => normalizationFromWeights(weightsWith({ [NORMALIZATION_METADATA_KEY]: "{mean" }), 1)).toThrow(
      /layerlab\.normalization metadata is not JSON/,
    );
    const wrongChannels = weightsWith({ [NORMALIZATION_METADATA_KEY]: JSON.stringify({ mean: [0, 0], std: [1, 1] }) });
    expect(() => normalizationFromWeights(wrongChannels, 3)).toThrow(/normalises 2 channels but the model takes 3/);
    expect(() => checkNormalization({ mean: [0], std: [0] }, 1, "normalization.json")).toThrow(
      /normalization.json has no usable normalisation/,
    );
    expect(() => checkNormalization({ mean: [0, 1], std: [1] }, 1, "x")).toThrow(/no usable normalisation/);
    expect(() => checkNormalization(null, 1, "x")).toThrow(/no usable normalisation/);
  });

  it("refuses bytes that are not a safetensors file", () => {
    expect(() => normalizationFromWeights(new Uint8Array([1, 2, 3]), 1)).toThrow(/not a safetensors file/);
  });
});

describe("the copy's probabilities", () => {
  it("are the softmax of the logits", () => {
    // exp(0) : exp(ln 2) : exp(ln 3) = 1 : 2 : 3
    const p = softmax([0, Math.log(2), Math.log(3)]);
    expect(Array.from(p)).toEqual([1 / 6, 2 / 6, 3 / 6].map((v) => Math.fround(v)));
  });

  it("stay finite for large logits", () => {
    const p = softmax([1000, 1000 + Math.log(3)]);
    expect(p[0]).toBeCloseTo(0.25, 6);
    expect(p[1]).toBeCloseTo(0.75, 6);
  });
});

describe("input channels of a spec", () => {
  it("are the first dimension of a [C, H, W] input, else one", () => {
    expect(channelsOf({ input: { shape: [3, 32, 32] }, layers: [], classes: [] } as never)).toBe(3);
    expect(channelsOf({ input: { shape: [784] }, layers: [], classes: [] } as never)).toBe(1);
  });
});
