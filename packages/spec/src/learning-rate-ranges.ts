/*
 * The named learning-rate ranges a person filters runs by ("medium-high"),
 * one table for the server's filter, the pages and the training doctor. Each
 * range is half-open, low ≤ lr < high, and together they cover every positive
 * rate without overlap, so any rate (0.001 included) lies in exactly one.
 */

/** Range names, from the smallest rates to the largest. */
export const LEARNING_RATE_RANGE_NAMES = ["very-low", "low", "medium-low", "medium-high", "high", "very-high"] as const;
/** The name of a learning-rate range. */
export type LearningRateRangeName = (typeof LEARNING_RATE_RANGE_NAMES)[number];

/** A half-open range of learning rates, low ≤ lr < high. */
export interface LearningRateRange {
  name: LearningRateRangeName;
  /** Inclusive; 0 for the lowest range. */
  low: number;
  /** Exclusive; Infinity for the highest range. */
  high: number;
  /** The range in words with its bounds, e.g. "medium-high: 0.0005 ≤ lr < 0.001". */
  label: string;
}

/** The bounds as a person reads them: "0.0005 ≤ lr < 0.001", "lr < 0.00001", "0.01 ≤ lr". */
function boundsInWords(low: number, high: number): string {
  if (low === 0) return `lr < ${high}`;
  if (high === Number.POSITIVE_INFINITY) return `${low} ≤ lr`;
  return `${low} ≤ lr < ${high}`;
}

/** Edges between consecutive ranges; range i is [EDGES[i], EDGES[i+1]). */
const EDGES = [0, 1e-5, 1e-4, 5e-4, 1e-3, 1e-2, Number.POSITIVE_INFINITY] as const;

/** Every named range in order; consecutive ranges share an edge, so none overlap and none leave a gap. */
export const LEARNING_RATE_RANGES: readonly LearningRateRange[] = LEARNING_RATE_RANGE_NAMES.map((name, i) => {
  const low = EDGES[i]!;
  const high = EDGES[i + 1]!;
  return { name, low, high, label: `${name}: ${boundsInWords(low, high)}` };
});

/** Whether `name` names a learning-rate range. */
export function isLearningRateRangeName(name: string): name is LearningRateRangeName {
  return (LEARNING_RATE_RANGE_NAMES as readonly string[]).includes(name);
}

/** The range called `name`. */
export function learningRateRange(name: LearningRateRangeName): LearningRateRange {
  return LEARNING_RATE_RANGES.find((r) => r.name === name)!;
}

/** The one range holding `lr`, or undefined for a rate that is not a positive finite number. */
export function learningRateRangeOf(lr: number): LearningRateRange | undefined {
  if (!(lr > 0) || !Number.isFinite(lr)) return undefined;
  return LEARNING_RATE_RANGES.find((r) => lr >= r.low && lr < r.high);
}

/**
 * The range's bounds as filter limits: `min` inclusive, `max` exclusive, each
 * left out where the range is open on that side.
 */
export function learningRateRangeLimits(name: LearningRateRangeName): { min?: number; max?: number } {
  const { low, high } = learningRateRange(name);
  return {
    ...(low > 0 && { min: low }),
    ...(Number.isFinite(high) && { max: high }),
  };
}

/** A rate at the geometric middle of a range, for a setup that trains "a run in this range". */
export function learningRateInside(name: LearningRateRangeName): number {
  const { low, high } = learningRateRange(name);
  // The open ends have no middle: one decade inside the closed edge stands for them.
  const lo = low > 0 ? low : high / 10;
  const hi = Number.isFinite(high) ? high : low * 10;
  return Number(Math.sqrt(lo * hi).toPrecision(2));
}
