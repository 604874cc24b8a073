import type { SweepView } from "@layerlab/api";
import { describe, expect, it } from "vitest";
import { layoutScoreChart } from "../src/sweeps/scoreChartLayout";
import { bestRunIndex, progressText, scoreChartData } from "../src/sweeps/sweepResults";
import {
  axisScale,
  parseValues,
  pickedValues,
  sweepSetting,
  sweepSettings,
  valuesText,
} from "../src/sweeps/sweepSettings";

/** A finished learning rate × optimizer sweep as the server answers it. */
function view(scores: (number | null)[], statuses?: string[]): SweepView {
  const cells: [number, string][] = [
    [1e-4, "sgd"],
    [1e-4, "adam"],
    [1e-3, "sgd"],
    [1e-3, "adam"],
    [1e-2, "sgd"],
    [1e-2, "adam"],
  ];
  return {
    id: "sweep-1",
    name: "lr × optimizer",
    plan: {
      axes: [
        { field: "optimizer", values: ["sgd", "adam"] },
        { field: "learningRate", values: [1e-4, 1e-3, 1e-2] },
      ],
    },
    dataset: "shapes",
    executor: "server",
    seed: 0,
    control: "…",
    createdAt: 0,
    counts: {},
    kind: "grid",
    runs: cells.map(([lr, opt], i) => ({
      cell: i,
      label: `optimizer=${opt}, learningRate=${lr}`,
      values: [opt, lr],
      score: scores[i] ?? null,
      run: {
        status: (statuses?.[i] ?? "succeeded") as "succeeded",
        metrics: { testAccuracy: scores[i] ?? null },
        epochsDone: 1,
        epochs: 1,
      } as SweepView["runs"][number]["run"],
    })),
    effects: [],
    findings: [],
    kfold: null,
  };
}

describe("the sweep form's settings", () => {
  it("offers the usual settings with labels from the training form and defaults worth comparing", () => {
    const fields = sweepSettings().map((s) => s.field);
    for (const f of ["learningRate", "optimizer", "batchSize", "weightDecay", "optimizer.momentum", "labelSmoothing"])
      expect(fields).toContain(f);
    expect(fields).not.toContain("seed");
    expect(fields).not.toContain("epochs");
    expect(sweepSetting("learningRate")!.label).toBe("Learning rate");
    expect(sweepSetting("learningRate")!.defaults).toEqual([1e-4, 1e-3, 1e-2]);
    expect(sweepSetting("optimizer")!.options).toContain("adamw");
    // Small rates read alike, in exponent form; other numbers as typed.
    expect(valuesText(sweepSetting("learningRate")!.defaults)).toBe("1e-4, 1e-3, 1e-2");
    expect(valuesText(sweepSetting("weightDecay")!.defaults)).toBe("0, 1e-4, 1e-3");
    expect(valuesText(sweepSetting("batchSize")!.defaults)).toBe("32, 64, 128");
  });

  it("reads typed values and names what is wrong", () => {
    const lr = sweepSetting("learningRate")!;
    expect(parseValues(lr, "1e-4, 0.001  1e-2")).toEqual({ ok: true, values: [1e-4, 1e-3, 1e-2] });
    expect(parseValues(lr, "1e-4, fast")).toEqual({
      ok: false,
      error: '"fast" is not a number: write numbers separated by commas, e.g. 1e-4, 1e-3, 1e-2',
    });
    expect(parseValues(lr, "0.1")).toMatchObject({ ok: false, error: expect.stringMatching(/at least two values/) });
    expect(parseValues(sweepSetting("batchSize")!, "32, 64.5")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/"64.5" is not a whole number/),
    });
    // Picked options come in the setting's own order.
    expect(pickedValues(sweepSetting("optimizer")!, ["adam", "sgd"])).toEqual({ ok: true, values: ["sgd", "adam"] });
  });

  it("puts learning rates on a log axis, names on a categorical one, 0 with decades evenly apart", () => {
    expect(axisScale([1e-4, 1e-3, 1e-2])).toBe("log");
    expect(axisScale(["sgd", "adam"])).toBe("category");
    expect(axisScale([0, 1e-4, 1e-3])).toBe("category");
    expect(axisScale([32, 64, 128])).toBe("linear");
  });
});

describe("the score chart", () => {
  it("puts the numeric setting along x and draws one line per optimizer", () => {
    const data = scoreChartData(view([0.3, 0.6, 0.5, 0.9, 0.7, null]));
    expect(data.xField).toBe("learningRate");
    expect(data.scale).toBe("log");
    expect(data.lineField).toBe("optimizer");
    expect(data.series.map((s) => s.label)).toEqual(["sgd", "adam"]);
    expect(data.series[1]!.points.map((p) => p.score)).toEqual([0.6, 0.9, null]);
    expect(data.yLabel).toBe("test accuracy");
  });

  it("lays out evenly spaced decades, higher scores higher up, and leaves a missing score out", () => {
    const data = scoreChartData(view([0.3, 0.6, 0.5, 0.9, 0.7, null]));
    const layout = layoutScoreChart({ ...data, width: 500, height: 240 });
    const [sgd, adam] = layout.series as [(typeof layout.series)[0], (typeof layout.series)[0]];
    expect(sgd.points).toHaveLength(3);
    expect(adam.points).toHaveLength(2);
    const [a, b, c] = sgd.points.map((p) => p.x) as [number, number, number];
    expect(b - a).toBeCloseTo(c - b, 6);
    expect(adam.points[1]!.y).toBeLessThan(sgd.points[1]!.y);
    expect(layout.xTicks.map((t) => t.label)).toEqual(["1e-4", "0.001", "0.01"]);
    // y ticks in whole percents around 30 – 90 %, inside the plot.
    expect(layout.yTicks[0]!.label).toMatch(/%$/);
    for (const t of layout.yTicks) {
      expect(t.y).toBeGreaterThanOrEqual(layout.plot.top - 0.01);
      expect(t.y).toBeLessThanOrEqual(layout.plot.bottom + 0.01);
    }
    for (const p of [...sgd.points, ...adam.points]) {
      expect(p.x).toBeGreaterThan(layout.plot.left);
      expect(p.x).toBeLessThan(layout.plot.right);
    }
  });

  it("finds the best run and says where the sweep stands", () => {
    const v = view(
      [0.3, 0.6, 0.5, 0.9, null, null],
      ["succeeded", "succeeded", "succeeded", "succeeded", "running", "queued"],
    );
    expect(bestRunIndex(v)).toBe(3);
    expect(progressText(v)).toBe("4 of 6 runs finished · 1 training · 1 waiting");
  });
});
