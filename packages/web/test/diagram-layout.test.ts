import { analyzeSpec, applyEdit, buildTemplate } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { assignLanes, GRAPH, graphLayout } from "../src/diagram/graphLayout";
import { BLOCK, blockGrid, diagramModel, MAX_DRAWN_NEURONS, neuronsFit } from "../src/diagram/layout";

const MNIST = { inputShape: [1, 28, 28], classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] };

function modelOf(template: Parameters<typeof buildTemplate>[0]) {
  const spec = buildTemplate(template, MNIST);
  const a = analyzeSpec(spec);
  return { spec, model: diagramModel(a.spec, spec.input.shape, a.layers) };
}

/** Whether two cards of the grid overlap. */
function overlap(a: { x: number; y: number }, b: { x: number; y: number }, w: number): boolean {
  return a.x < b.x + w && b.x < a.x + w && a.y < b.y + BLOCK.height && b.y < a.y + BLOCK.height;
}

describe("diagram model", () => {
  it("starts with an input block and names layers as the builder does", () => {
    const { spec, model } = modelOf("cnn");
    expect(model.blocks[0]).toMatchObject({ layer: -1, label: "input", shape: "[1,28,28]" });
    expect(model.blocks.slice(1).map((b) => b.label)).toEqual(spec.layers.map((l, i) => `${l.kind} #${i + 1}`));
    expect(model.blocks.at(-1)!.shape).toBe("[10]");
    for (const b of model.blocks) expect(b.scale).toBeGreaterThan(0);
  });

  it("offers neurons for a dense net, eliding wide layers", () => {
    const { model } = modelOf("mlp");
    expect(model.preferred).toBe("neurons");
    const cols = model.neurons!;
    expect(cols.map((c) => c.units)).toEqual([784, 128, 64, 10]);
    expect(cols.map((c) => c.label)).toEqual(["input", "dense #2", "dense #3", "dense #4"]);
    expect(cols[1]!.detail).toBe("128 · relu");
    expect(cols[1]!.drawn).toHaveLength(MAX_DRAWN_NEURONS);
    expect(cols[1]!.drawn).toContain(null);
    expect(cols[1]!.drawn.at(-1)).toBe(127);
    expect(cols[3]!.drawn).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("draws a conv net as blocks and says why there are no neurons", () => {
    const { model } = modelOf("deep-cnn");
    expect(model.preferred).toBe("blocks");
    expect(model.neurons).toBeNull();
    expect(model.neuronsUnavailable).toMatch(/convolution/);
  });
});

describe("block grid", () => {
  it("wraps the Deep CNN's 19 layers and input into rows that fit a 1440×900 panel and a phone", () => {
    const { model } = modelOf("deep-cnn");
    expect(model.blocks).toHaveLength(20);
    for (const width of [436, 330]) {
      const grid = blockGrid(model.blocks.length, width, 100);
      expect(grid.rows).toBeGreaterThan(1);
      expect(grid.perRow * grid.rows).toBeGreaterThanOrEqual(20);
      expect(grid.width).toBeLessThanOrEqual(width);
      expect(grid.cardWidth).toBeGreaterThanOrEqual(100);
      for (const p of grid.positions) {
        expect(p.x).toBeGreaterThanOrEqual(0);
        expect(p.x + grid.cardWidth).toBeLessThanOrEqual(width);
        expect(p.y + BLOCK.height).toBeLessThanOrEqual(grid.height);
      }
      for (let i = 0; i < grid.positions.length; i++)
        for (let j = i + 1; j < grid.positions.length; j++)
          expect(overlap(grid.positions[i]!, grid.positions[j]!, grid.cardWidth)).toBe(false);
    }
    expect(blockGrid(20, 436, 100).perRow).toBe(3);
    expect(blockGrid(20, 330, 100).perRow).toBe(2);
  });

  it("keeps a short net on one row and grows cards rather than shrinking text", () => {
    const one = blockGrid(3, 800);
    expect(one.rows).toBe(1);
    expect(one.cardWidth).toBe(BLOCK.maxWidth);
    expect(blockGrid(20, 436, 200).perRow).toBe(2);
  });

  it("lays neurons side by side only where their labels fit", () => {
    const { model } = modelOf("mlp");
    expect(neuronsFit(model.neurons!, 436)).toBe(true);
    expect(neuronsFit(model.neurons!, 330)).toBe(true);
    expect(neuronsFit(model.neurons!, 200)).toBe(false);
  });
});

/** The MLP template with the flatten's output also fed, around the two hidden layers, into the output dense. */
function residualMlp() {
  const spec = buildTemplate("mlp", MNIST);
  return applyEdit(spec, { op: "connect", from: 0, to: 3, merge: "concat" });
}

/** conv → relu → conv → relu → add(relu #4, relu #2) → flatten → dense, and the input fed to a concat too. */
function twoSkips() {
  let spec = applyEdit(buildTemplate("cnn", MNIST), { op: "connect", from: 0, to: 2 });
  spec = applyEdit(spec, { op: "connect", from: -1, to: 2 });
  return spec;
}

describe("diagram of a graph model", () => {
  it("a chain has no edge list, so it keeps the wrapped block grid", () => {
    expect(modelOf("cnn").model.edges).toBeNull();
    expect(modelOf("mlp").model.edges).toBeNull();
  });

  it("lists every edge with the shape its source gives, and offers no neuron view", () => {
    const spec = residualMlp();
    const a = analyzeSpec(spec);
    expect(a.ok).toBe(true);
    const model = diagramModel(a.spec, spec.input.shape, a.layers);
    expect(model.edges).toEqual([
      { from: -1, to: 0, shape: "[1,28,28]" },
      { from: 0, to: 1, shape: "[784]" },
      { from: 1, to: 2, shape: "[128]" },
      { from: 2, to: 3, shape: "[64]" },
      { from: 0, to: 3, shape: "[784]" },
      { from: 3, to: 4, shape: "[848]" },
    ]);
    expect(model.blocks.map((b) => b.label)).toEqual([
      "input",
      "flatten #1",
      "dense #2",
      "dense #3",
      "concat #4",
      "dense #5",
    ]);
    expect(model.neurons).toBeNull();
    expect(model.neuronsUnavailable).toMatch(/skip connection/);
    expect(model.preferred).toBe("blocks");
  });

  it("draws neighbours down one column and skips in lanes beside it, labels in the gaps, nothing overlapping", () => {
    const spec = twoSkips();
    const a = analyzeSpec(spec);
    const model = diagramModel(a.spec, spec.input.shape, a.layers);
    const skipEdges = model.edges!.filter((e) => e.to - e.from > 1);
    expect(skipEdges.map((e) => [e.from, e.to])).toEqual([
      [0, 2],
      [-1, 2],
    ]);
    for (const width of [436, 330]) {
      const g = graphLayout(model.blocks, model.edges!, width, { minCardWidth: 110, labelWidth: 66 });
      expect(g.width).toBeLessThanOrEqual(width);
      expect(g.lanes).toBe(2);
      const right = BLOCK.pad + g.cardWidth;
      // One column, in order, no two rows overlapping.
      g.nodes.forEach((n, i) => {
        expect(n.x).toBe(BLOCK.pad);
        if (i > 0) expect(n.y).toBeGreaterThanOrEqual(g.nodes[i - 1]!.y + g.nodes[i - 1]!.height + GRAPH.rowGap);
        expect(n.merge).toBe(n.block.kind === "add");
      });
      const skips = g.edges.filter((e) => e.skip);
      expect(skips.map((e) => e.lane).sort()).toEqual([0, 1]);
      const labels = g.edges.map((e) => ({ x: e.label.x, top: e.label.y - 10, bottom: e.label.y + 2, w: 66 }));
      for (const e of skips) {
        // The vertical run of a skip edge is beside the column, never over a card.
        const laneX = Number(/Q([\d.]+),[\d.]+ [\d.]+,[\d.]+ V/.exec(e.path)![1]);
        expect(laneX).toBeGreaterThan(right);
        expect(e.label.x).toBeGreaterThan(right);
      }
      // Labels sit in the gaps between rows: none covers a node, and no two cover each other.
      for (const l of labels) {
        for (const n of g.nodes) expect(l.bottom <= n.y || l.top >= n.y + n.height, JSON.stringify(l)).toBe(true);
      }
      for (let i = 0; i < labels.length; i++)
        for (let j = i + 1; j < labels.length; j++) {
          const [p, q] = [labels[i]!, labels[j]!];
          const apart = p.x + p.w <= q.x || q.x + q.w <= p.x || p.bottom <= q.top || q.bottom <= p.top;
          expect(apart, `${JSON.stringify(p)} / ${JSON.stringify(q)}`).toBe(true);
        }
    }
  });

  it("puts skips that do not overlap in one lane and overlapping ones side by side", () => {
    expect(
      assignLanes([
        { from: 0, to: 3 },
        { from: 3, to: 6 },
        { from: 4, to: 8 },
        { from: 1, to: 2 },
      ]),
    ).toEqual([0, 1, 0, 1]);
  });
});
