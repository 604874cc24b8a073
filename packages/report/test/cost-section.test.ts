import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateShapes } from "@layerlab/data-core";
import { type DatasetRef, ensureRunCost, startRun } from "@layerlab/runner";
import { analyzeSpec, formatBytes, LayerCost } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderReport } from "../src";
import { costSection, milliseconds } from "../src/cost";

const shapesOptions = { size: 12, countPerClass: 20, seed: 5 };
const root = mkdtempSync(join(tmpdir(), "layerlab-cost-report-"));
const runDir = join(root, "run");
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dataset = generateShapes(shapesOptions);
// A small CNN: a conv, the max pool training fuses with it, a parameterless layer and a dense head.
const spec = {
  input: { shape: [...dataset.shape] },
  layers: [
    { kind: "conv2d", filters: 4, kernel: 3, activation: "relu" },
    { kind: "maxPool2d" },
    { kind: "flatten" },
    { kind: "dense", units: dataset.classes.length },
  ],
  classes: [...dataset.classes],
};

/** The section's HTML, from its opening tag to its end. */
function costHtml(html: string): string {
  const start = html.indexOf(`<section id="cost">`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf("</section>", start));
}

beforeAll(async () => {
  const datasetRef: DatasetRef = { kind: "builtin", name: "shapes", shapes: shapesOptions };
  const summary = await startRun({
    spec,
    config: { epochs: 1, batchSize: 8, learningRate: 0.01, seed: 1 },
    dataset,
    datasetRef,
    dir: runDir,
    logEvery: 2,
  });
  expect(summary.status).toBe("succeeded");
  expect(JSON.parse(readFileSync(join(runDir, "run.json"), "utf8")).layerCost).toBeUndefined();
  // What writing a report does first: measure the finished run once, into run.json.
  expect(await ensureRunCost(runDir)).not.toBeNull();
});

describe("the report's cost per layer", () => {
  it("shows each layer's counts from the spec and the times measured for the first report", async () => {
    const info = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    const cost = LayerCost.parse(info.layerCost);
    const analysis = analyzeSpec(spec);
    expect(cost.batchSize).toBe(8);
    expect(cost.layers.map((l) => l.kind)).toEqual(analysis.layers.map((l) => l.kind));
    expect(cost.inference.map((l) => l.batchSize)).toEqual([1]);

    const section = costHtml(await renderReport(runDir, { dataDir: root }));
    expect(section).toContain("<h2>Cost per layer</h2>");
    expect(section).toContain("Measured on <b>wasm</b> on the machine that first made this report");
    expect(section).toContain("batch 8, median of 3 rounds");
    const layerTable = section.slice(0, section.indexOf("<h3>Inference latency</h3>"));
    const rows = [...layerTable.matchAll(/<tr><td>(\d+)<\/td>(.*?)<\/tr>/g)];
    expect(rows).toHaveLength(analysis.layers.length);
    for (const [i, row] of rows.entries()) {
      const info = analysis.layers[i]!;
      const measured = cost.layers[i]!;
      const cells = row[2]!.split("</td><td>").map((c) => c.replace(/<\/?td>/g, ""));
      expect(cells.slice(0, 4), `layer ${i + 1}`).toEqual([
        info.kind,
        info.params.toLocaleString("en-US"),
        formatBytes(info.activationBytes),
        info.flops.toLocaleString("en-US"),
      ]);
      expect(cells[4], `forward of layer ${i + 1}`).toBe(milliseconds(measured.forwardMs));
      expect(cells[5], `backward of layer ${i + 1}`).toBe(milliseconds(measured.backwardMs));
      expect(cells[6], `share of layer ${i + 1}`).toMatch(/%$/);
    }
    expect(section).toContain("<h3>Inference latency</h3>");
    for (const l of cost.inference) {
      expect(section).toContain(
        `<tr><td>${l.batchSize}</td><td>${milliseconds(l.medianMs)}</td><td>${milliseconds(l.p95Ms)}</td><td>10</td></tr>`,
      );
    }
  });

  it("says the times were not measured, and still shows the counts, for a run without them", () => {
    const analysis = analyzeSpec(spec);
    const section = costSection(analysis, null);
    expect(section).toContain("Times were not measured for this run");
    expect(section).not.toContain("forward ms");
    expect(section).not.toContain("Inference latency");
    expect(section).toContain(`<b>${analysis.totals.params.toLocaleString("en-US")}</b>`);
    expect(section).toContain(`<b>${formatBytes(analysis.totals.activationBytes)}</b>`);
  });
});
