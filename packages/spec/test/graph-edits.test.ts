import { describe, expect, it } from "vitest";
import { analyzeSpec } from "../src/analyze";
import { applyEdit } from "../src/edits";
import { isChain, layerGraph } from "../src/graph";
import { type LayerInput, ModelSpec, type ModelSpecInput } from "../src/model";

const CLASSES = ["a", "b", "c"];

function spec(layers: LayerInput[], shape: number[] = [1, 8, 8]): ModelSpecInput {
  return { input: { shape }, layers, classes: CLASSES };
}

/** conv(4) → relu → conv(8, same) → relu → flatten → dense(3) on 8×8 images. */
const chain = (): ModelSpecInput =>
  spec([
    { kind: "conv2d", filters: 4, kernel: 3, padding: "same" },
    { kind: "activation", fn: "relu" },
    { kind: "conv2d", filters: 8, kernel: 3, padding: "same" },
    { kind: "activation", fn: "relu" },
    { kind: "flatten" },
    { kind: "dense", units: 3 },
  ]);

/** Who takes whose output, by index (−1: the model's input). */
function sourcesOf(s: ModelSpecInput): number[][] {
  return layerGraph(s.layers as never).sources;
}

const errors = (s: ModelSpecInput) => analyzeSpec(s).problems.filter((p) => p.severity === "error");

describe("connect", () => {
  it("puts an add before a plain layer, joining its input with the earlier output, and names both ends", () => {
    const before = chain();
    const frozen = JSON.stringify(before);
    // relu #2's output around conv2d #3, into relu #4: a skip connection.
    const after = applyEdit(before, { op: "connect", from: 1, to: 3 });
    expect(JSON.stringify(before)).toBe(frozen);
    expect(after.layers!.map((l) => l.kind)).toEqual([
      "conv2d",
      "activation",
      "conv2d",
      "add",
      "activation",
      "flatten",
      "dense",
    ]);
    expect(after.layers![1]).toMatchObject({ id: "activation_2" });
    expect(after.layers![2]).toMatchObject({ id: "conv2d_3" });
    expect(after.layers![3]).toEqual({ kind: "add", inputs: ["conv2d_3", "activation_2"] });
    expect(after.layers![4]).toEqual({ kind: "activation", fn: "relu" });
    expect(sourcesOf(after)).toEqual([[-1], [0], [1], [2, 1], [3], [4], [5]]);
    expect(isChain(after.layers as never)).toBe(false);
    expect(ModelSpec.safeParse(after).success).toBe(true);
  });

  it("leads to the add's named error and its one-click 1×1 projection, which clears it", () => {
    const connected = applyEdit(chain(), { op: "connect", from: 1, to: 3 });
    const [problem, ...rest] = errors(connected);
    expect(rest).toEqual([]);
    expect(problem!.layer).toBe(3);
    expect(problem!.message).toBe(
      "add #4 adds tensors of different shapes: [8,8,8] from conv2d #3 ('conv2d_3') and [4,8,8] from activation #2 ('activation_2') — project the shortcut from activation #2 ('activation_2') with a 1×1 conv to [8,8,8]",
    );
    const fixed = applyEdit(connected, problem!.autofix!);
    expect(errors(fixed)).toEqual([]);
    expect(fixed.layers![3]).toMatchObject({
      kind: "conv2d",
      id: "activation_2_proj",
      inputs: ["activation_2"],
      kernel: 1,
      filters: 8,
    });
    expect(fixed.layers![4]).toEqual({ kind: "add", inputs: ["conv2d_3", "activation_2_proj"] });
    expect(analyzeSpec(fixed).ok).toBe(true);
  });

  it("takes the model's input as from = −1, and makes a concat when asked", () => {
    const s = spec([{ kind: "flatten" }, { kind: "dense", units: 16 }, { kind: "dense", units: 3 }]);
    const after = applyEdit(s, { op: "connect", from: -1, to: 2, merge: "concat" });
    expect(after.layers![2]).toEqual({ kind: "concat", inputs: ["dense_2", "input"] });
    // A concat of a vector and an image names the mismatch; after a flatten it fits.
    expect(errors(after)[0]!.message).toMatch(/^concat #3 gets \[16\] from dense #2 .* and \[1,8,8\] from the input/);
    const fromFlatten = applyEdit(s, { op: "connect", from: 0, to: 2, merge: "concat" });
    expect(fromFlatten.layers![2]).toEqual({ kind: "concat", inputs: ["dense_2", "flatten_1"] });
    expect(analyzeSpec(fromFlatten).ok).toBe(true);
    expect(analyzeSpec(fromFlatten).layers[2]!.outShape).toEqual([80]);
  });

  it("adds another input to a merge instead of stacking merges", () => {
    const once = applyEdit(chain(), { op: "connect", from: 1, to: 3 });
    const twice = applyEdit(once, { op: "connect", from: -1, to: 3 });
    expect(twice.layers).toHaveLength(once.layers!.length);
    expect(twice.layers![3]).toEqual({ kind: "add", inputs: ["conv2d_3", "activation_2", "input"] });
  });

  it("keeps ids a layer already has and makes fresh ones unique", () => {
    const s = spec([
      { kind: "flatten", id: "dense_2" },
      { kind: "dense", units: 8 },
      { kind: "dense", units: 8, id: "hidden" },
      { kind: "dense", units: 3 },
    ]);
    const after = applyEdit(s, { op: "connect", from: 1, to: 3 });
    expect(after.layers![2]).toMatchObject({ id: "hidden" });
    expect(after.layers![1]).toMatchObject({ id: "dense_2_2" });
    expect(after.layers![3]).toEqual({ kind: "add", inputs: ["hidden", "dense_2_2"] });
  });

  it("refuses edges backwards, onto itself, out of range, or already there, leaving the spec as it was", () => {
    const s = chain();
    for (const edit of [
      { from: 3, to: 1 },
      { from: 2, to: 2 },
      { from: 0, to: 99 },
      { from: -2, to: 1 },
      { from: 2, to: 3 },
      { from: -1, to: 0 },
    ]) {
      expect(applyEdit(s, { op: "connect", ...edit }), JSON.stringify(edit)).toEqual(s);
    }
    const merged = applyEdit(s, { op: "connect", from: 1, to: 3 });
    expect(applyEdit(merged, { op: "connect", from: 1, to: 3 })).toEqual(merged);
  });
});

describe("disconnect", () => {
  it("takes one input off a merge that keeps two", () => {
    const three = applyEdit(applyEdit(chain(), { op: "connect", from: 1, to: 3 }), { op: "connect", from: -1, to: 3 });
    const after = applyEdit(three, { op: "disconnect", from: -1, to: 3 });
    expect(after.layers![3]).toEqual({ kind: "add", inputs: ["conv2d_3", "activation_2"] });
  });

  it("removes a merge left with one input, and the layer after it takes that input", () => {
    const merged = applyEdit(chain(), { op: "connect", from: 1, to: 3 });
    const after = applyEdit(merged, { op: "disconnect", from: 1, to: 3 });
    expect(after.layers!.map((l) => l.kind)).toEqual(chain().layers!.map((l) => l.kind));
    expect(sourcesOf(after)).toEqual(sourcesOf(chain()));
    expect(analyzeSpec(after).ok).toBe(true);
    // Taking away the first input keeps the skip's source: relu #4 now takes activation #2 by name.
    const other = applyEdit(merged, { op: "disconnect", from: 2, to: 3 });
    expect(other.layers!.map((l) => l.kind)).toEqual(chain().layers!.map((l) => l.kind));
    expect(other.layers![3]).toEqual({ kind: "activation", fn: "relu", inputs: ["activation_2"] });
    expect(sourcesOf(other)[3]).toEqual([1]);
  });

  it("gives a plain layer its default input back when its one named input goes", () => {
    const s = spec([
      { kind: "flatten", id: "f" },
      { kind: "dense", units: 8 },
      { kind: "dense", units: 3, inputs: ["f"] },
    ]);
    const after = applyEdit(s, { op: "disconnect", from: 0, to: 2 });
    expect(after.layers![2]).toEqual({ kind: "dense", units: 3 });
  });

  it("leaves the spec as it was for an edge that is not there", () => {
    const s = chain();
    expect(applyEdit(s, { op: "disconnect", from: 1, to: 2 })).toEqual(s);
    expect(applyEdit(s, { op: "disconnect", from: 0, to: 50 })).toEqual(s);
  });
});

describe("removeLayer keeps the graph whole", () => {
  /** A residual block: s1 → conv → bn (b1) → add(b1, s1) → relu → flatten → dense. */
  const residual = (): ModelSpecInput =>
    spec([
      { kind: "conv2d", filters: 4, kernel: 3, padding: "same" },
      { kind: "activation", fn: "relu", id: "s1" },
      { kind: "conv2d", filters: 4, kernel: 3, padding: "same" },
      { kind: "batchNorm", id: "b1" },
      { kind: "add", inputs: ["b1", "s1"] },
      { kind: "activation", fn: "relu" },
      { kind: "flatten" },
      { kind: "dense", units: 3 },
    ]);

  it("rewires readers of the removed layer to its input, naming that input when it had no id", () => {
    const after = applyEdit(residual(), { op: "removeLayer", at: 3 });
    expect(after.layers![2]).toMatchObject({ kind: "conv2d", id: "conv2d_3" });
    expect(after.layers![3]).toEqual({ kind: "add", inputs: ["conv2d_3", "s1"] });
    expect(analyzeSpec(after).ok).toBe(true);
  });

  it("rewires readers to the removed layer's named input", () => {
    const after = applyEdit(residual(), { op: "removeLayer", at: 1 });
    expect(after.layers![3]).toEqual({ kind: "add", inputs: ["b1", "conv2d_1"] });
    expect(after.layers![0]).toMatchObject({ id: "conv2d_1" });
  });

  it("removes a merge that would be left joining one tensor", () => {
    // Without conv #3 and bn #4 the add would take s1 twice: it goes too, and relu #6 takes s1.
    const noConv = applyEdit(residual(), { op: "removeLayer", at: 2 });
    expect(noConv.layers![3]).toEqual({ kind: "add", inputs: ["b1", "s1"] });
    const after = applyEdit(noConv, { op: "removeLayer", at: 2 });
    expect(after.layers!.map((l) => l.kind)).toEqual(["conv2d", "activation", "activation", "flatten", "dense"]);
    expect(sourcesOf(after)).toEqual([[-1], [0], [1], [2], [3]]);
    expect(analyzeSpec(after).ok).toBe(true);
  });

  it("removing a merge hands its readers the merge's first input", () => {
    const after = applyEdit(residual(), { op: "removeLayer", at: 4 });
    expect(after.layers!.map((l) => l.kind)).toEqual([
      "conv2d",
      "activation",
      "conv2d",
      "batchNorm",
      "activation",
      "flatten",
      "dense",
    ]);
    expect(sourcesOf(after)[4]).toEqual([3]);
    // s1 now feeds only conv #3, as in a chain.
    expect(analyzeSpec(after).ok).toBe(true);
  });

  it("the layer after a removed projection keeps taking the projection's input", () => {
    const s = spec([
      { kind: "flatten", id: "f" },
      { kind: "dense", units: 8 },
      { kind: "dense", units: 8, id: "p", inputs: ["f"] },
      { kind: "dense", units: 3 },
    ]);
    const after = applyEdit(s, { op: "removeLayer", at: 2 });
    expect(after.layers![2]).toEqual({ kind: "dense", units: 3, inputs: ["f"] });
  });

  it("a chain loses the layer and nothing else, as before graphs", () => {
    const after = applyEdit(chain(), { op: "removeLayer", at: 1 });
    expect(after.layers).toEqual(chain().layers!.filter((_, i) => i !== 1));
  });
});
