import { describe, expect, it } from "vitest";
import { analyzeSpec } from "../src/analyze";
import { applyEdit, insertionIndex } from "../src/edits";
import type { LayerKind, ModelSpecInput } from "../src/model";
import { buildTemplate } from "../src/templates";

const base = (): ModelSpecInput => ({
  input: { shape: [1, 4, 4] },
  layers: [{ kind: "flatten" }, { kind: "dense", units: 2, activation: "relu" }],
  classes: ["a", "b"],
});

describe("applyEdit", () => {
  it("inserts, removes and sets fields without touching the original", () => {
    const spec = base();
    const frozen = JSON.stringify(spec);
    expect(applyEdit(spec, { op: "insertLayer", at: 1, layer: { kind: "dropout", rate: 0.2 } }).layers).toEqual([
      { kind: "flatten" },
      { kind: "dropout", rate: 0.2 },
      { kind: "dense", units: 2, activation: "relu" },
    ]);
    expect(applyEdit(spec, { op: "removeLayer", at: 0 }).layers).toEqual([
      { kind: "dense", units: 2, activation: "relu" },
    ]);
    expect(applyEdit(spec, { op: "setField", layer: 1, field: "units", value: 3 }).layers[1]).toEqual({
      kind: "dense",
      units: 3,
      activation: "relu",
    });
    expect(applyEdit(spec, { op: "setField", layer: 1, field: "activation", value: null }).layers[1]).toEqual({
      kind: "dense",
      units: 2,
    });
    expect(applyEdit(spec, { op: "setInputShape", shape: [3, 4, 4] }).input.shape).toEqual([3, 4, 4]);
    expect(JSON.stringify(spec)).toBe(frozen);
  });

  it("leaves the spec as it is for edits that do not fit, instead of throwing", () => {
    const spec = base();
    expect(applyEdit(spec, { op: "removeLayer", at: 5 })).toEqual(spec);
    expect(applyEdit(spec, { op: "setField", layer: -1, field: "units", value: 3 })).toEqual(spec);
    expect(applyEdit(spec, { op: "insertLayer", at: 99, layer: { kind: "flatten" } }).layers).toHaveLength(3);
    const noLayers = { input: { shape: [4] }, classes: ["a", "b"] } as unknown as ModelSpecInput;
    expect(applyEdit(noLayers, { op: "insertLayer", at: 0, layer: { kind: "dense", units: 2 } }).layers).toEqual([
      { kind: "dense", units: 2 },
    ]);
  });

  it("analyzeSpec does not change its input", () => {
    const spec = base();
    const frozen = JSON.stringify(spec);
    analyzeSpec(spec);
    expect(JSON.stringify(spec)).toBe(frozen);
  });
});

describe("moveLayer", () => {
  const three: ModelSpecInput = {
    input: { shape: [1, 4, 4] },
    layers: [{ kind: "flatten" }, { kind: "dense", units: 8 }, { kind: "dropout", rate: 0.3 }],
    classes: ["a", "b"],
  };

  it("takes the layer out and puts it at the target index", () => {
    const moved = applyEdit(three, { op: "moveLayer", from: 2, to: 0 });
    expect(moved.layers?.map((l) => l.kind)).toEqual(["dropout", "flatten", "dense"]);
    expect(three.layers?.map((l) => l.kind)).toEqual(["flatten", "dense", "dropout"]);
  });

  it("leaves the spec unchanged for an index out of range", () => {
    expect(applyEdit(three, { op: "moveLayer", from: 5, to: 0 }).layers).toEqual(three.layers);
  });
});

describe("insertionIndex: where a palette click adds a layer", () => {
  const kinds = (s: ModelSpecInput) => s.layers?.map((l) => l.kind);

  it.each(["dense", "dropout", "activation", "batchNorm"] as LayerKind[])(
    "%s on the MLP template goes before the output layer, and the model stays valid",
    (kind) => {
      const mlp = buildTemplate("mlp", {
        inputShape: [1, 28, 28],
        classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
      });
      const last = (mlp.layers?.length ?? 0) - 1;
      expect(insertionIndex(mlp, kind)).toBe(last);
      const added = applyEdit(mlp, {
        op: "insertLayer",
        at: insertionIndex(mlp, kind),
        layer: { kind, ...NEW[kind] } as never,
      });
      expect(kinds(added)?.at(-1)).toBe("dense");
      expect(analyzeSpec(added).problems.filter((p) => p.severity === "error")).toEqual([]);
    },
  );

  it("conv2d on the CNN template goes before the flatten", () => {
    const cnn = buildTemplate("cnn", {
      inputShape: [1, 28, 28],
      classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    });
    const at = insertionIndex(cnn, "conv2d");
    expect(kinds(cnn)?.[at]).toBe("flatten");
    const added = applyEdit(cnn, { op: "insertLayer", at, layer: { kind: "conv2d", filters: 8, kernel: 3 } });
    expect(analyzeSpec(added).ok).toBe(true);
  });

  it("appends when there is no output layer yet", () => {
    expect(insertionIndex({ input: { shape: [1, 4, 4] }, layers: [], classes: ["a", "b"] }, "dense")).toBe(0);
    expect(
      insertionIndex({ input: { shape: [1, 4, 4] }, layers: [{ kind: "flatten" }], classes: ["a"] }, "dense"),
    ).toBe(1);
  });
});

/** Fields a new layer of each kind needs. */
const NEW: Partial<Record<LayerKind, Record<string, unknown>>> = {
  dense: { units: 32 },
  dropout: { rate: 0.3 },
  activation: { fn: "relu" },
  batchNorm: {},
};
