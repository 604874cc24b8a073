import { mkdirSync } from "node:fs";
import { analyzeSpec, type LayerInput } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { launchTestChromium } from "../../../test-support/chromium";
import { graphFigure } from "../src/graph-figure";
import { STYLE } from "../src/html";
import { specSection } from "../src/sections";

/*
 * The report's model section for graph models: the layer table says what each layer takes when that is not
 * the layer above, and a figure draws the graph. Chains keep the table they always had.
 */

const RESIDUAL: LayerInput[] = [
  { kind: "conv2d", id: "stem", filters: 4, kernel: 3, padding: "same", bias: false },
  { kind: "batchNorm" },
  { kind: "activation", fn: "relu", id: "s1" },
  { kind: "conv2d", filters: 4, kernel: 3, padding: "same", bias: false },
  { kind: "batchNorm", id: "b1" },
  { kind: "add", inputs: ["b1", "s1"] },
  { kind: "activation", fn: "relu", id: "r1" },
  { kind: "conv2d", id: "wide", filters: 4, kernel: 1, inputs: ["input"] },
  { kind: "maxPool2d", id: "pooled_after_the_first_block", size: 1, inputs: ["r1"] },
  { kind: "concat", inputs: ["pooled_after_the_first_block", "wide"] },
  { kind: "globalAvgPool" },
  { kind: "dense", units: 2 },
];
const spec = (layers: LayerInput[]) => ({ input: { shape: [1, 8, 8] }, layers, classes: ["a", "b"] });

/** The cells of the table row of layer `n` (1-based), shapes without their no-wrap spans. */
function rowOf(html: string, n: number): string[] {
  const row = html.split("<tr>").find((r) => r.startsWith(`<td>${n}</td>`));
  if (!row) throw new Error(`no row ${n}`);
  return [...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) =>
    m[1]!.replace(/<span style="white-space:nowrap">(\[[^\]]*\])<\/span>/g, "$1"),
  );
}

describe("the report's model section for a graph", () => {
  const analysis = analyzeSpec(spec(RESIDUAL));

  it("names each layer's inputs when they are not the layer above, and both shapes of a merge", () => {
    expect(analysis.ok).toBe(true);
    const html = specSection(analysis);
    expect(html).toContain("<th>takes (when not the layer above)</th>");
    // #, layer, settings, takes, input, output, parameters, FLOPs
    expect(rowOf(html, 6)).toEqual(["6", "add", "", "#5 b1, #3 s1", "[4, 8, 8] + [4, 8, 8]", "[4, 8, 8]", "0", "256"]);
    expect(rowOf(html, 8).slice(0, 4)).toEqual([
      "8",
      'conv2d <span class="muted">wide</span>',
      expect.any(String),
      "input",
    ]);
    expect(rowOf(html, 10)[3]).toBe("#9 pooled_after_the_first_block, #8 wide");
    expect(rowOf(html, 10)[5]).toBe("[8, 8, 8]");
    // A layer that takes the one above says nothing, and the wiring is not repeated in the settings.
    expect(rowOf(html, 4)[3]).toBe("");
    expect(rowOf(html, 6)[2]).toBe("");
  });

  it("draws the graph: a box per layer and the input, an arc per edge that skips or branches", () => {
    const svg = graphFigure(analysis)!;
    expect(svg).not.toBeNull();
    expect(svg.match(/<rect /g)).toHaveLength(RESIDUAL.length + 1);
    // add ← s1 (#3 → #6), conv 'wide' ← input, concat ← wide (#8 → #10), maxPool 'pooled' ← r1 (#7 → #9).
    expect(svg.match(/class="edge"/g)).toHaveLength(4);
    expect(svg).toContain("<title>#6 add → [4,8,8]</title>");
    expect(svg).toContain("<title>#3 activation &#39;s1&#39; → [4,8,8]</title>");
    expect(svg).toContain("<title>input → [1,8,8]</title>");
    expect(specSection(analysis)).toContain('<figure class="graph">');
  });

  it("keeps a chain's table as it was, without a figure", () => {
    const chain = analyzeSpec(spec([{ kind: "flatten" }, { kind: "dense", id: "out", units: 2 }]));
    const html = specSection(chain);
    expect(html).not.toContain("takes");
    expect(html).not.toContain("<figure");
    expect(rowOf(html, 2)).toEqual(["2", "dense", "id=out, units=2, bias=true", "[64]", "[2]", "130", "256"]);
  });

  it("renders the figure in Chromium with every box inside the picture (screenshot for a person)", async () => {
    const browser = await launchTestChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      await page.setContent(`<html><head><style>${STYLE}</style></head><body>${specSection(analysis)}</body></html>`);
      const figure = page.locator("figure.graph svg");
      const box = await figure.boundingBox();
      expect(box?.width).toBeGreaterThan(250);
      const inside = await page.evaluate(() => {
        const svg = document.querySelector("figure.graph svg")!.getBoundingClientRect();
        return Array.from(document.querySelectorAll("figure.graph rect, figure.graph path.edge")).every((el) => {
          const r = el.getBoundingClientRect();
          return (
            r.left >= svg.left - 0.5 &&
            r.right <= svg.right + 0.5 &&
            r.top >= svg.top - 0.5 &&
            r.bottom <= svg.bottom + 0.5
          );
        });
      });
      expect(inside).toBe(true);
      // Every label fits in its box.
      const overflowing = await page.evaluate(
        () =>
          Array.from(document.querySelectorAll("figure.graph g.node")).filter((g) => {
            const box = g.querySelector("rect")!.getBoundingClientRect();
            const text = g.querySelector("text")!.getBoundingClientRect();
            return text.right > box.right || text.left < box.left;
          }).length,
      );
      expect(overflowing).toBe(0);
      mkdirSync("/tmp/shots/graph-report", { recursive: true });
      await page.locator("section#model").screenshot({ path: "/tmp/shots/graph-report/model-section.png" });
    } finally {
      await browser.close();
    }
  });
});
