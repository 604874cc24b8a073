import { describe, expect, it } from "vitest";
import {
  analyzeSpec,
  applyEdit,
  GRAPH_INPUT,
  isChain,
  Layer,
  type LayerInput,
  layerGraph,
  type ModelSpecInput,
  type Problem,
} from "../src";

const CLASSES = ["a", "b"];

/** A spec over an `[1,8,8]` image (or the given input) with two classes. */
function specOf(layers: LayerInput[], shape: number[] = [1, 8, 8]): ModelSpecInput {
  return { format: "layerlab.model/2", input: { shape }, layers, classes: CLASSES };
}

/** layerGraph of raw layers, parsed as the analysis parses them. */
function graphOf(layers: LayerInput[]) {
  return layerGraph(layers.map((l) => Layer.parse(l)));
}

const errors = (problems: readonly Problem[]) => problems.filter((p) => p.severity === "error");

/** A residual block whose shortcut needs no projection: conv-bn-relu, conv-bn, add the block's input, relu. */
const RESIDUAL: LayerInput[] = [
  { kind: "conv2d", id: "stem", filters: 4, kernel: 3, padding: "same", bias: false },
  { kind: "batchNorm" },
  { kind: "activation", fn: "relu", id: "s1" },
  { kind: "conv2d", filters: 4, kernel: 3, padding: "same", bias: false },
  { kind: "batchNorm", id: "b1" },
  { kind: "add", inputs: ["b1", "s1"] },
  { kind: "activation", fn: "relu" },
  { kind: "globalAvgPool" },
  { kind: "dense", units: 2 },
];

describe("layerGraph", () => {
  it("wires a chain to the previous layer and a merge to the ids it names, with consumers both ways", () => {
    const graph = graphOf(RESIDUAL);
    expect(graph.problems).toEqual([]);
    expect(graph.sources).toEqual([[GRAPH_INPUT], [0], [1], [2], [3], [4, 2], [5], [6], [7]]);
    expect(graph.inputConsumers).toEqual([0]);
    expect(graph.consumers[2]).toEqual([3, 5]); // s1 feeds the block and its shortcut
    expect(graph.consumers[8]).toEqual([]);
    expect(isChain(RESIDUAL.map((l) => Layer.parse(l)))).toBe(false);
    expect(isChain(RESIDUAL.filter((l) => l.kind !== "add").map((l) => Layer.parse(l)))).toBe(true);
  });

  it("names the ids a layer could take when it names an unknown one", () => {
    const graph = graphOf([
      { kind: "flatten", id: "flat" },
      { kind: "dense", units: 4, id: "h" },
      { kind: "dense", units: 2, inputs: ["hidden"] },
    ]);
    expect(graph.problems.map((p) => [p.severity, p.layer, p.field, p.message])).toEqual([
      ["error", 2, "inputs", "dense #3 takes 'hidden', but no layer has that id — name one of: 'input', 'flat', 'h'"],
      // The wrong edge is left out, so dense #2's output now goes nowhere.
      [
        "warning",
        1,
        null,
        "dense #2 ('h'): its output goes nowhere (no layer takes it), so it cannot learn — connect it to a later layer, or remove dense #2",
      ],
    ]);
    expect(graph.sources[2]).toEqual([]);
  });

  it("reports a repeated id with a fresh one as the autofix, which clears the problem", () => {
    const layers: LayerInput[] = [
      { kind: "flatten", id: "x" },
      { kind: "dense", units: 4, id: "x" },
      { kind: "dense", units: 2 },
    ];
    const [problem] = graphOf(layers).problems;
    expect(problem?.message).toBe("dense #2: the id 'x' is already flatten #1's — rename it, e.g. to 'x_2'");
    expect(problem?.autofix).toEqual({ op: "setField", layer: 1, field: "id", value: "x_2" });
    const fixed = applyEdit(specOf(layers), problem!.autofix!);
    expect(analyzeSpec(fixed).problems).toEqual([]);
  });

  it("reports an edge to a later layer with a moveLayer autofix that makes the spec valid", () => {
    const layers: LayerInput[] = [
      { kind: "flatten" },
      { kind: "dense", units: 4, id: "left" },
      { kind: "concat", id: "cat", inputs: ["left", "right"] },
      { kind: "flatten", id: "right", inputs: ["input"] },
      { kind: "dense", units: 2, inputs: ["cat"] },
    ];
    const problem = graphOf(layers).problems.find((p) => p.layer === 2 && p.severity === "error");
    expect(problem?.message).toBe(
      "concat #3 ('cat') takes flatten #4 ('right'), which comes after it — move flatten #4 before concat #3",
    );
    expect(problem?.autofix).toEqual({ op: "moveLayer", from: 3, to: 2 });
    const fixed = applyEdit(specOf(layers), problem!.autofix!);
    const analysis = analyzeSpec(fixed);
    expect(errors(analysis.problems)).toEqual([]);
    // 4 dense features next to the 64 flattened pixels.
    expect(analysis.layers[3]).toMatchObject({ kind: "concat", outShape: [68] });
  });

  it("names the edge that closes a cycle, and a layer that takes its own output", () => {
    const cycle = graphOf([
      { kind: "dense", units: 4, id: "a", inputs: ["c"] },
      { kind: "dense", units: 4, id: "b" },
      { kind: "dense", units: 2, id: "c" },
    ]);
    expect(errors(cycle.problems).map((p) => p.message)).toEqual([
      "the edge dense #3 ('c') → dense #1 ('a') closes a cycle: dense #1 ('a') already feeds dense #3 ('c') — remove 'c' from the inputs of dense #1; a network may only feed forward",
    ]);
    expect(errors(cycle.problems)[0]?.autofix).toBeUndefined();
    const self = graphOf([{ kind: "flatten" }, { kind: "dense", units: 2, id: "me", inputs: ["me"] }]);
    expect(errors(self.problems).map((p) => p.message)).toEqual([
      "dense #2 ('me') takes its own output, a cycle — remove 'me' from its inputs",
    ]);
  });

  it("refuses a merge with one input and a plain layer with two", () => {
    const graph = graphOf([
      { kind: "flatten", id: "f" },
      { kind: "dense", units: 4, id: "h" },
      { kind: "add", inputs: ["h"] },
      { kind: "dense", units: 2, inputs: ["f", "h"] },
    ]);
    const found = errors(graph.problems).map((p) => [p.layer, p.message, p.autofix]);
    expect(errors(graph.problems)[0]?.fix).toBe("remove add #3");
    expect(found).toEqual([
      [
        2,
        "add #3 has one input; add joins two or more — connect another layer's output to it (drag from that layer's output), or remove it",
        { op: "removeLayer", at: 2 },
      ],
      [
        3,
        "dense #4 takes 2 inputs but only add and concat join several — insert an add or concat before dense #4 and give it those inputs",
        undefined,
      ],
    ]);
  });

  it("warns about a branch whose output goes nowhere, with its removal as the fix", () => {
    const layers: LayerInput[] = [
      { kind: "flatten", id: "f" },
      { kind: "dense", units: 8 }, // nobody reads it: the next layer names 'f'
      { kind: "dense", units: 2, inputs: ["f"] },
    ];
    const analysis = analyzeSpec(specOf(layers));
    expect(analysis.ok).toBe(true);
    const warning = analysis.problems.find((p) => p.layer === 1);
    expect(warning?.severity).toBe("warning");
    expect(warning?.message).toMatch(/^dense #2: its output goes nowhere/);
    expect(warning?.autofix).toEqual({ op: "removeLayer", at: 1 });
    // The fix's words (the builder's button) say what the click does; the message also says the other way.
    expect(warning?.fix).toBe("remove dense #2");
    expect(analyzeSpec(applyEdit(specOf(layers), warning!.autofix!)).problems).toEqual([]);
  });
});

describe("the output layer of a graph", () => {
  it("follows the edges back from the logits, not the list", () => {
    const layers: LayerInput[] = [
      { kind: "flatten", id: "f" },
      { kind: "dense", id: "out", units: 3 },
      { kind: "dense", units: 5, inputs: ["f"] }, // a side branch that goes nowhere
      { kind: "activation", fn: "sigmoid", inputs: ["out"] },
    ];
    const problems = analyzeSpec(specOf(layers)).problems;
    // The layer before the sigmoid in the list is not the one it takes: dense #2 is the output layer.
    expect(problems.map((p) => p.message)).toContain(
      "activation #4 applies sigmoid to the logits of dense #2; the loss applies softmax itself, so this hurts learning — remove it",
    );
    expect(problems.find((p) => p.field === "units")).toMatchObject({
      layer: 1,
      message: "dense #2 has 3 units but the dataset has 2 classes — set units to 2",
      autofix: { op: "setField", layer: 1, field: "units", value: 2 },
    });
  });
});

describe("merges in analyzeSpec", () => {
  it("fixes an add of different shapes with a 1×1 projection conv of the right stride and filters", () => {
    const layers: LayerInput[] = [
      { kind: "conv2d", id: "stem", filters: 4, kernel: 3, padding: "same", activation: "relu" }, // [4,8,8]
      { kind: "conv2d", filters: 8, kernel: 3, stride: 2, padding: "same", activation: "relu" }, // [8,4,4]
      { kind: "conv2d", id: "b", filters: 8, kernel: 3, padding: "same" }, // [8,4,4]
      { kind: "add", inputs: ["b", "stem"] },
      { kind: "globalAvgPool" },
      { kind: "dense", units: 2 },
    ];
    const before = analyzeSpec(specOf(layers));
    const [problem] = errors(before.problems);
    expect(problem?.layer).toBe(3);
    expect(problem?.message).toBe(
      "add #4 adds tensors of different shapes: [8,4,4] from conv2d #3 ('b') and [4,8,8] from conv2d #1 ('stem') — project the shortcut from conv2d #1 ('stem') with a 1×1 conv to [8,4,4]",
    );
    expect(problem?.autofix?.op).toBe("sequence");
    const fixed = applyEdit(specOf(layers), problem!.autofix!);
    const after = analyzeSpec(fixed);
    expect(errors(after.problems)).toEqual([]);
    expect(after.ok).toBe(true);
    const projection = after.spec!.layers[3]!;
    expect(projection).toMatchObject({
      kind: "conv2d",
      id: "stem_proj",
      inputs: ["stem"],
      filters: 8,
      kernel: 1,
      stride: 2,
      bias: false,
    });
    expect(after.spec!.layers[4]).toMatchObject({ kind: "add", inputs: ["b", "stem_proj"] });
    expect(after.layers[3]).toMatchObject({ inShape: [4, 8, 8], outShape: [8, 4, 4], params: 4 * 8 });
    expect(after.layers[4]).toMatchObject({
      inShapes: [
        [8, 4, 4],
        [8, 4, 4],
      ],
      sources: [2, 3],
      outShape: [8, 4, 4],
    });
  });

  it("projects vectors with a dense layer", () => {
    const layers: LayerInput[] = [
      { kind: "flatten", id: "f" },
      { kind: "dense", units: 6, id: "h", activation: "relu" },
      { kind: "add", inputs: ["h", "f"] },
      { kind: "dense", units: 2 },
    ];
    const [problem] = errors(analyzeSpec(specOf(layers)).problems);
    expect(problem?.fix).toBe("project the shortcut from flatten #1 ('f') with a dense layer to [6]");
    const after = analyzeSpec(applyEdit(specOf(layers), problem!.autofix!));
    expect(after.ok).toBe(true);
    expect(after.spec!.layers[2]).toMatchObject({ kind: "dense", id: "f_proj", inputs: ["f"], units: 6, bias: false });
  });

  it("concatenates channels of images of one size, and refuses images of different sizes", () => {
    const branches: LayerInput[] = [
      { kind: "conv2d", id: "a", filters: 3, kernel: 1, inputs: ["input"] },
      { kind: "conv2d", id: "b", filters: 5, kernel: 3, padding: "same", inputs: ["input"] },
      { kind: "concat", inputs: ["a", "b"] },
      { kind: "globalAvgPool" },
      { kind: "dense", units: 2 },
    ];
    const ok = analyzeSpec(specOf(branches));
    expect(ok.problems).toEqual([]);
    expect(ok.layers[2]).toMatchObject({
      inShapes: [
        [3, 8, 8],
        [5, 8, 8],
      ],
      outShape: [8, 8, 8],
      params: 0,
    });
    const pooled = [...branches];
    pooled[1] = { kind: "maxPool2d", id: "b", size: 2, inputs: ["input"] };
    const bad = analyzeSpec(specOf(pooled));
    expect(bad.ok).toBe(false);
    expect(errors(bad.problems).map((p) => p.message)).toEqual([
      "concat #3 gets [3,8,8] from conv2d #1 ('a') and [1,4,4] from maxPool2d #2 ('b') — concat joins the channels of images of one height and width: pool the larger input, or use padding 'same'",
    ]);
    // An image next to a vector is a different mistake, with its own fix.
    const mixed = [...branches];
    mixed[1] = { kind: "flatten", id: "b", inputs: ["input"] };
    expect(errors(analyzeSpec(specOf(mixed)).problems)[0]?.fix).toBe(
      "join images with images and vectors with vectors (flatten the images first)",
    );
  });

  it("gives every layer of a small residual net its inputs, parameters and FLOPs (hand counts)", () => {
    const analysis = analyzeSpec(specOf(RESIDUAL));
    expect(analysis.problems).toEqual([]);
    const convParams = [1 * 4 * 9, 4 * 4 * 9]; // no bias
    const bnParams = 2 * 4; // gamma and beta; the running statistics are state
    const denseParams = 4 * 2 + 2;
    expect(analysis.layers.map((l) => l.params)).toEqual([
      convParams[0],
      bnParams,
      0,
      convParams[1],
      bnParams,
      0,
      0,
      0,
      denseParams,
    ]);
    expect(analysis.totals.params).toBe(36 + 8 + 144 + 8 + 10);
    const add = analysis.layers[5]!;
    expect(add).toMatchObject({
      kind: "add",
      inShape: [4, 8, 8],
      inShapes: [
        [4, 8, 8],
        [4, 8, 8],
      ],
      sources: [4, 2],
      outShape: [4, 8, 8],
      flops: 4 * 8 * 8, // one sum per element for the second input
      activationBytes: 4 * 8 * 8 * 4,
    });
    expect(analysis.layers[0]).toMatchObject({ sources: [GRAPH_INPUT], inShapes: [[1, 8, 8]] });
    expect(analysis.layers[8]).toMatchObject({ inShape: [4], outShape: [2], flops: 2 * 4 * 2 });
    expect(analysis.outShape).toEqual([2]);
  });
});
