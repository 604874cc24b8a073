import { analyzeSpec, buildTemplate } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
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
