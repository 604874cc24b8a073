import { resolve } from "node:path";
import { buildTemplate, type DoctorFinding, type TestReport } from "@layerlab/spec";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { exampleIndices, REPORT_SECTIONS, type ReportParts, reportHtml } from "../src/document";

const SECTIONS = [
  "summary",
  "model",
  "cost",
  "hyperparameters",
  "curves",
  "confusion",
  "examples",
  "doctor",
  "resources",
];
const classes = ["circle", "square", "triangle"];
// A 1×1 transparent PNG: the page must carry its images inline.
const PIXEL =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/** A browser run's facts as the web app gathers them: no RSS, no CPU model, no per-epoch times. */
function browserParts(name: string): ReportParts {
  const test: TestReport = {
    loss: 0.4321,
    accuracy: 0.8125,
    count: 48,
    classes,
    confusion: [
      [14, 2, 0],
      [1, 13, 2],
      [0, 4, 12],
    ],
    perClass: [
      { class: "circle", precision: 14 / 15, recall: 14 / 16, support: 16 },
      { class: "square", precision: 13 / 19, recall: 13 / 16, support: 16 },
      { class: "triangle", precision: 12 / 14, recall: 12 / 16, support: 16 },
    ],
  };
  const finding: DoctorFinding = {
    id: "overfitting",
    severity: "warning",
    title: "Overfitting",
    evidence: "train 99% vs validation <b>70%</b>",
    suggestion: "add dropout",
  };
  return {
    summary: {
      name,
      id: "local-1",
      status: "succeeded",
      message: null,
      dataset: { name: "shapes (3 classes, 12px)", shape: [1, 12, 12], classes },
      epochsDone: 2,
      epochs: 2,
      bestEpoch: 2,
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      createdAt: "2025-01-02T03:04:05.000Z",
    },
    spec: buildTemplate("simple-nn", { inputShape: [1, 12, 12], classes }, { hidden: [16] }),
    config: {
      epochs: 2,
      batchSize: 16,
      learningRate: 0.01,
      optimizer: "adam",
      schedule: { name: "constant", warmupEpochs: 0 },
    },
    metrics: {
      epoch: [1, 2],
      train_loss: [1.0, 0.5],
      train_acc: [0.5, 0.8],
      val_loss: [null, null],
      val_acc: [null, null],
    },
    test,
    examples: [
      { dataUrl: PIXEL, trueClass: "circle", predictedClass: "circle", probability: null },
      { dataUrl: PIXEL, trueClass: "square", predictedClass: "triangle", probability: 0.625 },
    ],
    findings: [finding],
    resources: {
      trainSeconds: 3.25,
      backend: "Wasm, 1 thread",
      cpu: "this browser (Wasm, 1 thread, 8 logical cores)",
      epochs: [
        { epoch: 1, seconds: null, samplesPerSec: null },
        { epoch: 2, seconds: null, samplesPerSec: null },
      ],
      samplesPerSec: { value: 1234.4, basis: "last logged batch" },
    },
    source: "a run trained in this browser",
    generatedAt: "2025-01-02T03:05:00.000Z",
  };
}

/** The text of section `id` (its HTML between the opening and closing tags). */
function sectionOf(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf("</section>", start));
}

describe("reportHtml", () => {
  it("has every section in page order, as report.test.ts lists them", () => {
    expect([...REPORT_SECTIONS]).toEqual(SECTIONS);
    const html = reportHtml(browserParts("browser run 1"));
    const at = SECTIONS.map((id) => html.indexOf(`<section id="${id}">`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
  });

  it("shows the run's numbers: test accuracy, confusion counts, FLOPs, the curves", () => {
    const html = reportHtml(browserParts("browser run 1"));
    expect(sectionOf(html, "summary")).toContain("81.3%"); // 0.8125 → one decimal
    expect(sectionOf(html, "confusion")).toContain("48 test images, accuracy 81.3%, loss 0.4321.");
    // simple-nn on 1×12×12 with 16 hidden units: 144·16+16 + 16·3+3 parameters.
    expect(sectionOf(html, "model")).toContain(`<b>${(144 * 16 + 16 + 16 * 3 + 3).toLocaleString("en-US")}</b>`);
    expect(sectionOf(html, "curves")).toContain("<svg");
    expect(sectionOf(html, "hyperparameters")).toContain("<td>schedule</td><td>constant · warmupEpochs 0</td>");
  });

  it("says what a browser could not record instead of inventing it", () => {
    const resources = sectionOf(reportHtml(browserParts("r")), "resources");
    expect(resources).toContain("<td>Peak memory (RSS)</td><td>not recorded</td>");
    expect(resources).toContain("<td>Versions</td><td>not recorded</td>");
    expect(resources).toContain("<td>CPU</td><td>this browser (Wasm, 1 thread, 8 logical cores)</td>");
    expect(resources).toContain("<td>Training time</td><td>3.25 s</td>");
    expect(resources).toContain(`1,234 <span class="muted">(last logged batch)</span>`);
    expect(resources).toContain("<tr><td>2</td><td>—</td><td>—</td></tr>");
    const examples = sectionOf(reportHtml(browserParts("r")), "examples");
    expect(examples).toContain("predicted circle<br>true circle");
    expect(examples).toContain("predicted triangle (62.5%)<br>true square");
  });

  it("escapes a hostile run name and finding text, and refers to nothing outside the page", () => {
    const html = reportHtml(browserParts(`<script>alert("x")</script>`));
    expect(html).not.toContain("<script");
    expect(html).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;");
    expect(html).toContain("train 99% vs validation &#60;b&#62;70%&#60;/b&#62;");
    expect(html).not.toMatch(/(src|href|action)\s*=\s*"(?!data:)/);
    expect(html).not.toMatch(/url\(/);
    // The only absolute URL is the SVG namespace, which is a name, not a request.
    expect(html.match(/https?:\/\/[^"\s]+/g)).toEqual(["http://www.w3.org/2000/svg"]);
  });

  it("says why there are no examples and no test evaluation", () => {
    const parts = browserParts("r");
    const html = reportHtml({
      ...parts,
      test: null,
      examples: "The run was aborted before the test evaluation.",
      metrics: { ...parts.metrics, epoch: [], train_loss: [], train_acc: [], val_loss: [], val_acc: [] },
    });
    expect(sectionOf(html, "examples")).toContain("The run was aborted before the test evaluation.");
    expect(sectionOf(html, "confusion")).toContain("no test evaluation");
    expect(sectionOf(html, "curves")).toContain("No epoch has finished yet.");
  });
});

describe("exampleIndices", () => {
  it("shows every class, spread over each class's images, even when labels cycle with the stride", () => {
    const cycling = Array.from({ length: 180 }, (_, i) => i % 3);
    // A stride of 180/12 = 15 would land on class 0 every time.
    expect(exampleIndices(cycling, 180, 12)).toEqual([0, 45, 90, 135, 1, 46, 91, 136, 2, 47, 92, 137]);
    const blocks = Array.from({ length: 90 }, (_, i) => Math.floor(i / 30));
    expect(exampleIndices(blocks, 90, 6)).toEqual([0, 15, 30, 45, 60, 75]);
  });

  it("gives a rare class what it has and the rest to the others; never more than the split holds", () => {
    const labels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    expect(exampleIndices(labels, 10, 4)).toEqual([0, 3, 6, 9]);
    expect(exampleIndices(labels, 10, 12)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(exampleIndices(labels, 3, 12)).toEqual([0, 1, 2]);
    expect(exampleIndices([], 0, 12)).toEqual([]);
  });
});

describe("@layerlab/report/document in a browser bundle", () => {
  it("pulls in neither sharp nor any node: module", async () => {
    const pulled: string[] = [];
    const result = await build({
      entryPoints: [resolve(import.meta.dirname, "../src/document.ts")],
      bundle: true,
      write: false,
      platform: "browser",
      format: "esm",
      logLevel: "silent",
      plugins: [
        {
          name: "record-imports",
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              pulled.push(args.path);
              return undefined;
            });
          },
        },
      ],
    });
    expect(result.errors).toEqual([]);
    expect(pulled).toContain("@layerlab/runner/curves-svg");
    expect(pulled.filter((p) => p === "sharp" || p.startsWith("node:") || p === "@layerlab/runner")).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).toContain("LayerLab report: ");
  });
});
