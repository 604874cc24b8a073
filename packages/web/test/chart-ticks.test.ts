import { describe, expect, it } from "vitest";
import { logTicks } from "../src/charts/axes";
import { formatTicks } from "../src/charts/ticks";

/** The ticks uPlot would place: `count` even steps from `min` to `max` (with the float noise real steps have). */
function ticks(min: number, max: number, count: number): number[] {
  const step = (max - min) / (count - 1);
  return Array.from({ length: count }, (_, i) => min + i * step);
}

function expectDistinct(labels: (string | null)[]): void {
  const shown = labels.filter((l) => l !== null);
  expect(new Set(shown).size, shown.join(" ")).toBe(shown.length);
}

describe("axis tick labels", () => {
  it("writes tiny ranges as exponents, never as repeated 0", () => {
    const labels = formatTicks(ticks(0, 1e-6, 6));
    expectDistinct(labels);
    expect(labels).toEqual(["0", "2e-7", "4e-7", "6e-7", "8e-7", "1e-6"]);
    expect(formatTicks([0.0015, 0.002, 0.0025])).toEqual(["0.0015", "0.0020", "0.0025"]);
    expect(formatTicks([0, 1e-4, 2e-4, 3e-4])).toEqual(["0", "1e-4", "2e-4", "3e-4"]);
    expect(formatTicks([1e-4, 1.5e-4, 2.5e-4])).toEqual(["1e-4", "1.5e-4", "2.5e-4"]);
  });

  it("writes step counts whole and thousands short, never clipped to 0,000", () => {
    expect(formatTicks(ticks(0, 3000, 7))).toEqual(["0", "500", "1000", "1500", "2000", "2500", "3000"]);
    expect(formatTicks([0, 10000, 20000, 30000])).toEqual(["0", "10k", "20k", "30k"]);
    expect(formatTicks([0, 2500, 5000, 7500, 10000, 12500])).toEqual(["0", "2.5k", "5.0k", "7.5k", "10.0k", "12.5k"]);
    expect(formatTicks([0, 2e6, 4e6])).toEqual(["0", "2e6", "4e6"]);
  });

  it("gives close ticks as many decimals as tell them apart", () => {
    const labels = formatTicks(ticks(0.999, 0.9995, 6));
    expectDistinct(labels);
    expect(labels).toEqual(["0.9990", "0.9991", "0.9992", "0.9993", "0.9994", "0.9995"]);
    expect(formatTicks([0.1, 0.2, 0.30000000000000004])).toEqual(["0.1", "0.2", "0.3"]);
    expect(formatTicks([0, 0.25, 0.5, 0.75, 1])).toEqual(["0.00", "0.25", "0.50", "0.75", "1.00"]);
    expect(formatTicks([-0.5, 0, 0.5])).toEqual(["-0.5", "0.0", "0.5"]);
  });

  it("labels each tick of a log axis on its own, and keeps uPlot's skipped ticks skipped", () => {
    const labels = formatTicks([1e-7, null, 1e-5, 1e-3, 0.02, 0.1, 1, 10, 100, 5000, 1e5], { log: true });
    expect(labels).toEqual(["1e-7", null, "1e-5", "0.001", "0.02", "0.1", "1", "10", "100", "5000", "100k"]);
    expectDistinct(formatTicks([2e-6, 3e-6, 4e-6, 5e-6], { log: true }));
  });

  it("stays distinct across many random ranges", () => {
    for (const [min, max] of [
      [0, 1e-9],
      [-3e-5, 3e-5],
      [0.1234, 0.1236],
      [1, 1.000001],
      [0, 7],
      [0, 123456789],
      [4.2, 4.2000003],
    ] as const) {
      for (const count of [3, 5, 9]) expectDistinct(formatTicks(ticks(min, max, count)));
    }
  });
});

/** uPlot's log splits from 10^lo to 10^hi: 1…9 of each decade. */
function logSplits(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = lo; k < hi; k++) for (let m = 1; m <= 9; m++) out.push(Number((m * 10 ** k).toPrecision(12)));
  out.push(10 ** hi);
  return out;
}

describe("log axis ticks", () => {
  /** Pixel positions on a log axis `pxPerDecade` tall per decade (y grows downwards). */
  const at = (pxPerDecade: number) => (v: number) => -Math.log10(v) * pxPerDecade;

  it("labels 1-2-5 of each decade where there is room", () => {
    const kept = logTicks(logSplits(-1, 0), at(200)).filter((v) => v !== null);
    expect(kept).toEqual([0.1, 0.2, 0.5, 1]);
  });

  it("thins 14 crowded decades so labels stay 20 px apart, keeping the top one", () => {
    const splits = logSplits(-7, 6);
    const kept = logTicks(splits, at(10)).filter((v): v is number => v !== null);
    expect(kept.at(-1)).toBe(1e6);
    expect(kept.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < kept.length; i++)
      expect(Math.abs(at(10)(kept[i]!) - at(10)(kept[i - 1]!))).toBeGreaterThanOrEqual(20);
    expectDistinct(formatTicks(logTicks(splits, at(10)), { log: true }));
  });
});
