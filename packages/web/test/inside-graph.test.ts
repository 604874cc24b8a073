import { describe, expect, it } from "vitest";
import { featureMaps } from "../src/inside/featureMaps";
import {
  connectionCapacity,
  connectionLines,
  layoutNetwork,
  networkBlocks,
  structureKey,
} from "../src/inside/network3d";
import type { Inspection, LayerOutput } from "../src/train/protocol";

/*
 * The inside views of a graph model: every node with an image output (its adds and concats too) shows its
 * feature maps, elementwise layers fold into the block they take, and in 3D the branches stand side by side
 * with lines for the merges.
 */

/** A seeded pseudo-random sequence in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function out(layer: number, kind: string, shape: number[], sources: number[], id?: string): LayerOutput {
  const size = shape.reduce((a, b) => a * b, 1);
  return { layer, kind, shape, data: noise(size, layer + 10), sources, ...(id && { id }) };
}

/**
 * A 1×6×6 input → conv 'stem' → ReLU 's1' → conv → batch norm 'b1' → add(b1, s1) → ReLU, next to a branch
 * conv 'side' on the input, joined by a concat → global average pool → dense 3.
 */
function graphInspection(): Inspection {
  return {
    input: { shape: [1, 6, 6], data: noise(36, 1) },
    layers: [
      out(0, "conv2d", [4, 6, 6], [-1], "stem"),
      out(1, "activation", [4, 6, 6], [0], "s1"),
      out(2, "conv2d", [4, 6, 6], [1]),
      out(3, "batchNorm", [4, 6, 6], [2], "b1"),
      out(4, "add", [4, 6, 6], [3, 1]),
      out(5, "activation", [4, 6, 6], [4]),
      out(6, "conv2d", [2, 6, 6], [-1], "side"),
      out(7, "concat", [6, 6, 6], [5, 6]),
      out(8, "globalAvgPool", [6], [7]),
      out(9, "dense", [3], [8]),
    ],
    weights: {
      0: { shape: [4, 1, 3, 3], data: noise(36, 2) },
      2: { shape: [4, 4, 3, 3], data: noise(144, 3) },
      6: { shape: [2, 1, 1, 1], data: noise(2, 4) },
      9: { shape: [3, 6], data: noise(18, 5) },
    },
  };
}

describe("feature maps of a graph", () => {
  it("shows every node with an image output, names what merges and branches take, and filters only for convs", () => {
    const insp = graphInspection();
    const maps = featureMaps(insp);
    expect(maps.map((m) => [m.layer, m.title, m.takes])).toEqual([
      [0, "conv2d #1 'stem'", null],
      [1, "activation #2 's1'", null],
      [2, "conv2d #3", null],
      [3, "batchNorm #4 'b1'", null],
      [4, "add #5", "adds batchNorm #4 'b1' and activation #2 's1'"],
      [5, "activation #6", null],
      [6, "conv2d #7 'side'", "takes the input"],
      [7, "concat #8", "joins the channels of activation #6 and conv2d #7 'side'"],
    ]);
    const add = maps[4]!;
    expect(add.shape).toEqual([4, 6, 6]);
    expect(add.channels).toHaveLength(4);
    expect(add.channels[3]![35]).toBe(insp.layers[4]!.data[4 * 36 - 1]);
    expect(add.filters).toEqual([]);
    const concat = maps[7]!;
    expect(concat.channels).toHaveLength(6);
    expect(maps.filter((m) => m.filters.length > 0).map((m) => m.layer)).toEqual([0, 2, 6]);
    expect(maps[6]!.filterSize).toEqual([1, 1]);
  });
});

describe("the 3D view of a graph", () => {
  it("folds elementwise layers into the block they take and knows each block's inputs", () => {
    const insp = graphInspection();
    const blocks = networkBlocks(insp);
    expect(blocks.map((b) => [b.label, b.kind, b.role, b.sources])).toEqual([
      ["input 6×6", "maps", "input", []],
      ["conv #1 · 4×6×6", "maps", "hidden", [0]],
      ["conv #3 · 4×6×6", "maps", "hidden", [1]],
      ["add #5 · 4×6×6", "maps", "hidden", [2, 1]],
      ["conv #7 · 2×6×6", "maps", "hidden", [0]],
      ["concat #8 · 6×6×6", "maps", "hidden", [3, 4]],
      ["global avg pool #9 · 6", "neurons", "hidden", [5]],
      ["output · 3", "neurons", "output", [6]],
    ]);
    // Each block shows its output after the ReLU or batch norm that takes it.
    expect(blocks[1]!.values).toBe(insp.layers[1]!.data);
    expect(blocks[2]!.values).toBe(insp.layers[3]!.data);
    expect(blocks[3]!.values).toBe(insp.layers[5]!.data);
    // Rewiring changes the structure key, so the scene is rebuilt rather than recoloured.
    const rewired = graphInspection();
    rewired.layers[7] = { ...rewired.layers[7]!, sources: [6, 5] };
    expect(structureKey(networkBlocks(rewired), 8)).not.toBe(structureKey(blocks, 8));
  });

  it("stands a branch beside the block of the same depth, and draws lines for merges and skips", () => {
    const blocks = networkBlocks(graphInspection());
    const layout = layoutNetwork(blocks, 8);
    const extent = (b: number) => {
      const own = layout.planes.filter((p) => p.block === b);
      return {
        left: Math.min(...own.map((p) => p.center[0] - p.size / 2)),
        right: Math.max(...own.map((p) => p.center[0] + p.size / 2)),
        low: Math.min(...own.map((p) => p.center[1] - p.size / 2)),
        high: Math.max(...own.map((p) => p.center[1] + p.size / 2)),
      };
    };
    // conv #7 ('side', on the input) stands in the column of conv #1, above or below it, not after the add.
    const [stem, side, add, concat] = [extent(1), extent(4), extent(3), extent(5)];
    expect(side.left).toBeCloseTo(stem.left, 6);
    expect(side.high < stem.low || side.low > stem.high).toBe(true);
    expect(side.right).toBeLessThan(add.left);
    // Columns run left to right: every block wholly right of the blocks it takes.
    blocks.forEach((block, b) => {
      for (const s of block.sources) {
        if (layout.neuronStart[b]! >= 0 || layout.neuronStart[s]! >= 0) continue;
        expect(extent(b).left).toBeGreaterThan(extent(s).right);
      }
    });
    expect(concat.left).toBeGreaterThan(add.right);
    // The add's two inputs, the concat's two inputs: four links, each from a source's right edge to a left edge.
    expect(layout.links).toHaveLength(4);
    for (const [from, to] of layout.links) expect(to[0]).toBeGreaterThan(from[0]);
    const endingAt = (x: number) => layout.links.filter(([, to]) => Math.abs(to[0] - x) < 1e-6).length;
    expect([endingAt(add.left), endingAt(concat.left)]).toEqual([2, 2]);
    // The add's shortcut starts at the right edge of conv #1's stack.
    expect(layout.links.some(([from]) => Math.abs(from[0] - stem.right) < 1e-6)).toBe(true);
  });

  it("alternates labels from column to column, hangs a lower branch's label below, and the output's too", () => {
    const blocks = networkBlocks(graphInspection());
    const { labelBelow, labelAnchors } = layoutNetwork(blocks, 8);
    // Columns: input | conv #1 over conv #7 | conv #3 | add #5 | concat #8 | pool | output.
    expect(blocks.map((b, k) => [b.label, labelBelow[k]])).toEqual([
      ["input 6×6", false],
      ["conv #1 · 4×6×6", false],
      ["conv #3 · 4×6×6", false],
      ["add #5 · 4×6×6", true],
      ["conv #7 · 2×6×6", true],
      ["concat #8 · 6×6×6", false],
      ["global avg pool #9 · 6", false],
      ["output · 3", true],
    ]);
    // The lower branch's label hangs under it, below the upper branch's.
    expect(labelAnchors[4]![1]).toBeLessThan(labelAnchors[1]![1]);
  });

  it("joins the output neurons to the pooled features they take", () => {
    const insp = graphInspection();
    const blocks = networkBlocks(insp);
    const layout = layoutNetwork(blocks, 8);
    expect(connectionCapacity(blocks, 2)).toBe(3 * 2);
    const lines = connectionLines(blocks, layout, insp.weights, 2);
    expect(lines.count).toBe(3 * 2);
    // Every line starts on a pooled-feature neuron and ends on an output neuron.
    const xsOf = (b: number) => {
      const start = layout.neuronStart[b]!;
      return new Set(blocks[b]!.values.map((_, i) => layout.neuronPositions[(start + i) * 3]!));
    };
    const [pooled, output] = [xsOf(6), xsOf(7)];
    for (let e = 0; e < lines.count; e++) {
      expect(pooled.has(lines.positions[e * 6]!)).toBe(true);
      expect(output.has(lines.positions[e * 6 + 3]!)).toBe(true);
    }
  });
});
