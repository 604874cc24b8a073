import { describe, expect, it } from "vitest";
import { type SweepReportInput, sweepReportHtml, sweepScoreSvg, sweepSection } from "../src/sweep";

/** A finished 2 × 2 sweep: learning rate × optimizer, scores as test accuracies. */
function grid(): SweepReportInput {
  const run = (status: string) => ({ status, epochsDone: 2, epochs: 2 });
  return {
    id: "sweep-abc",
    name: "lr × optimizer",
    kind: "grid",
    dataset: "shapes",
    control: "Every run starts from the same initial weights (seed 3); only learningRate and optimizer differ.",
    plan: {
      axes: [
        { field: "learningRate", values: [0.0001, 0.01] },
        { field: "optimizer", values: ["sgd", "adam"] },
      ],
    },
    runs: [
      { label: "learningRate=1e-4, optimizer=sgd", values: [0.0001, "sgd"], score: 0.41, run: run("succeeded") },
      { label: "learningRate=1e-4, optimizer=adam", values: [0.0001, "adam"], score: 0.88, run: run("succeeded") },
      { label: "learningRate=0.01, optimizer=sgd", values: [0.01, "sgd"], score: 0.73, run: run("succeeded") },
      { label: "learningRate=0.01, optimizer=adam", values: [0.01, "adam"], score: null, run: run("failed") },
    ],
    findings: ["Best: learningRate=1e-4, optimizer=adam at 88.0%; worst: learningRate=1e-4, optimizer=sgd at 41.0%."],
    kfold: null,
  };
}

/** The centres of an SVG's circles, in drawing order. */
function circles(svg: string): { x: number; y: number; fill: string }[] {
  return [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="4" fill="([^"]+)"/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    fill: m[3]!,
  }));
}

describe("the sweep report", () => {
  it("charts one line per optimizer over the learning rates; a failed run leaves its point out", () => {
    const svg = sweepScoreSvg(grid())!;
    const dots = circles(svg);
    expect(dots).toHaveLength(3);
    const [sgdLow, sgdHigh, adamLow] = dots as [(typeof dots)[0], (typeof dots)[0], (typeof dots)[0]];
    // sgd is the first line (first colour), adam the second; the same learning rate sits at the same x.
    expect(sgdLow.fill).toBe(sgdHigh.fill);
    expect(adamLow.fill).not.toBe(sgdLow.fill);
    expect(adamLow.x).toBe(sgdLow.x);
    expect(sgdHigh.x).toBeGreaterThan(sgdLow.x);
    // Higher scores are drawn higher up (smaller y): 88% above 73% above 41%.
    expect(adamLow.y).toBeLessThan(sgdHigh.y);
    expect(sgdHigh.y).toBeLessThan(sgdLow.y);
    expect(svg).toContain(">1e-4</text>");
    expect(svg).toContain(">optimizer adam</text>");
    expect(svg).toContain(">41%</text>");
  });

  it("marks the best run in the table and lists the findings", () => {
    const html = sweepSection(grid());
    expect(html).toContain('<section id="sweep"><h2>Sweep</h2>');
    expect(html).toContain("<td>2 <b>best</b></td>");
    expect(html).toContain("<td><b>88.0%</b></td>");
    expect(html).toContain("<td>failed</td>");
    expect(html).toContain("<li>Best: learningRate=1e-4, optimizer=adam at 88.0%");
  });

  it("shows a k-fold's mean ± std and one point per fold", () => {
    const folds = [0.9, 0.95, 0.92];
    const kfold: SweepReportInput = {
      ...grid(),
      kind: "kfold",
      plan: { axes: [{ field: "crossValidation.fold", values: [0, 1, 2] }] },
      runs: folds.map((v, f) => ({
        label: `crossValidation.fold=${f}`,
        values: [f],
        score: v,
        run: { status: "succeeded", epochsDone: 1, epochs: 1 },
      })),
      kfold: { text: "92.3% ± 2.5% over 3 folds", perFold: folds },
    };
    const html = sweepReportHtml(kfold, { source: "a test", generatedAt: "2025-01-01T00:00:00Z" });
    expect(html).toContain("<h2>Cross-validation</h2>");
    expect(html).toContain("<b>92.3% ± 2.5% over 3 folds</b>");
    expect(circles(html)).toHaveLength(3);
    expect(html).toContain(">fold 3</text>");
    // A fold is not a setting to pick: no "best" fold, the spread over the folds instead.
    expect(html).not.toContain("<b>best</b>");
    expect(html).toContain("<tr><td>2</td><td>succeeded</td><td>1 of 1</td><td>95.0%</td><td>95.0%</td></tr>");
    expect(html).toContain("<li>Across the folds the final validation accuracy runs from 90.0% to 95.0%");
    expect(html).not.toContain("Best: learningRate");
  });
});
