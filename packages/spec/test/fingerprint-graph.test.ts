import { describe, expect, it } from "vitest";
import { configFingerprint } from "../src/fingerprint";
import type { LayerInput, ModelSpecInput } from "../src/model";

/*
 * Graph specs fingerprint by their wiring, not by the names of their layers, and a chain fingerprints as it
 * did before graphs existed, so the duplicate check still finds the runs of then.
 */

/** The MLP whose fingerprint was pinned before graphs existed (see fingerprint.test.ts). */
const MLP: ModelSpecInput = {
  input: { shape: [1, 28, 28] },
  layers: [{ kind: "flatten" }, { kind: "dense", units: 10 }],
  classes: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
};
const MLP_BEFORE_GRAPHS = "053f279675e35ad6e8981c9ff1c368a0c79969c6ab57829c413359a83cc2eb22";

/** A residual block over named layers; `names` renames stem, s1 and b1. */
function residual(names = { stem: "stem", s1: "s1", b1: "b1" }, shortcut: "s1" | "stem" = "s1"): ModelSpecInput {
  const layers: LayerInput[] = [
    { kind: "conv2d", id: names.stem, filters: 4, kernel: 3, padding: "same", bias: false },
    { kind: "batchNorm" },
    { kind: "activation", fn: "relu", id: names.s1 },
    { kind: "conv2d", filters: 4, kernel: 3, padding: "same", bias: false },
    { kind: "batchNorm", id: names.b1 },
    { kind: "add", inputs: [names.b1, names[shortcut]] },
    { kind: "activation", fn: "relu" },
    { kind: "globalAvgPool" },
    { kind: "dense", units: 2 },
  ];
  return { format: "layerlab.model/2", input: { shape: [1, 8, 8] }, layers, classes: ["x", "y"] };
}

describe("configFingerprint of graphs", () => {
  it("keeps a chain's fingerprint from before graphs, in either format tag and with ids added", () => {
    expect(configFingerprint(MLP, {})).toBe(MLP_BEFORE_GRAPHS);
    expect(configFingerprint({ ...MLP, format: "layerlab.model/1" }, {})).toBe(MLP_BEFORE_GRAPHS);
    expect(configFingerprint({ ...MLP, format: "layerlab.model/2" }, {})).toBe(MLP_BEFORE_GRAPHS);
    const named: ModelSpecInput = {
      ...MLP,
      format: "layerlab.model/2",
      layers: [
        { kind: "flatten", id: "flat" },
        { kind: "dense", units: 10, inputs: ["flat"] },
      ],
    };
    // Naming the previous layer as the input is the default wiring spelled out.
    expect(configFingerprint(named, {})).toBe(MLP_BEFORE_GRAPHS);
  });

  it("ignores the ids of a graph: renaming every layer trains the same model", () => {
    const base = configFingerprint(residual(), {});
    expect(configFingerprint(residual({ stem: "first", s1: "skip_from", b1: "branch_end" }), {})).toBe(base);
  });

  it("changes when the graph is rewired, even where the shapes still fit", () => {
    const base = configFingerprint(residual(), {});
    // The shortcut now starts before the batch norm and ReLU: same shapes, another model.
    const rewired = configFingerprint(residual(undefined, "stem"), {});
    expect(rewired).not.toBe(base);
    // The same layers as a chain (no shortcut) are another model again.
    const chain = residual();
    const plain = { ...chain, layers: (chain.layers as LayerInput[]).filter((l) => l.kind !== "add") };
    expect(configFingerprint(plain, {})).not.toBe(base);
    expect(configFingerprint(plain, {})).not.toBe(rewired);
  });

  it("tells the order of a concat's inputs apart (it sets the order of the channels)", () => {
    const concat = (inputs: string[]): ModelSpecInput => ({
      input: { shape: [1, 8, 8] },
      layers: [
        { kind: "conv2d", id: "a", filters: 2, kernel: 1 },
        { kind: "conv2d", id: "b", filters: 3, kernel: 1, inputs: ["input"] },
        { kind: "concat", inputs },
        { kind: "flatten" },
        { kind: "dense", units: 2 },
      ],
      classes: ["x", "y"],
    });
    expect(configFingerprint(concat(["a", "b"]), {})).not.toBe(configFingerprint(concat(["b", "a"]), {}));
  });
});
