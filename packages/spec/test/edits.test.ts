import { describe, expect, it } from "vitest";
import { analyzeSpec } from "../src/analyze";
import { applyEdit } from "../src/edits";
import type { ModelSpecInput } from "../src/model";

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
