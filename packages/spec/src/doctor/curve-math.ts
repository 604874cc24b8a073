/** Small numeric helpers over metric series, for the doctor's rules. */

/** Mean of the values (NaN for none). */
export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Index of the smallest value (the first one on ties). */
export function argMin(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! < xs[best]!) best = i;
  return best;
}

/**
 * Index of the last value that improved on everything before it by more than
 * `relative` (lower is better).
 */
export function lastImprovement(xs: readonly number[], relative: number): number {
  let best = 0;
  let bestValue = xs[0]!;
  for (let i = 1; i < xs.length; i++) {
    if (xs[i]! < bestValue * (1 - relative)) {
      best = i;
      bestValue = xs[i]!;
    }
  }
  return best;
}

/** A number for the evidence texts: 3 significant digits, no exponent for ordinary sizes. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? x.toExponential(1) : String(Number(x.toPrecision(3)));
}

/** A fraction as a percentage for the evidence texts. */
export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
