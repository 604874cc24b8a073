/*
 * Axis tick labels for the live charts. uPlot's default formatter prints a
 * locale number with a fixed precision, so a loss axis from 0 to 1e-6 reads
 * "0, 0, 0" and a large one is clipped as "0,000". These labels use as few
 * digits as show every tick exactly (so no two ticks read the same), switch
 * to exponent form for tiny and huge values and to "k" for thousands.
 */

/** Below this magnitude (and above zero) ticks read as exponents: 2.5e-4. */
const TINY = 1e-3;
/** From this magnitude ticks read in thousands: 12.5k. */
const THOUSANDS = 1e4;
/** From this magnitude ticks read as exponents: 2e6. */
const HUGE = 1e6;
/** The most decimals or mantissa digits a label gets. */
const MAX_DIGITS = 12;

/** `v.toExponential(digits)` written short: "2.5e-3", "1e-5" (no "+", no trailing zeros). */
function exponent(v: number, digits: number): string {
  const [mantissa, power] = v.toExponential(digits).split("e");
  const trimmed = mantissa!.includes(".") ? mantissa!.replace(/0+$/, "").replace(/\.$/, "") : mantissa!;
  return `${trimmed}e${Number(power)}`;
}

/** `v` with `digits` decimals, "-0" read as "0". */
function fixed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** The fewest digits (0…MAX_DIGITS) for which `format` gives every value back to within `tolerance`. */
function fewestDigits(values: readonly number[], format: (v: number, d: number) => string, tolerance: number): number {
  for (let d = 0; d < MAX_DIGITS; d++) {
    if (values.every((v) => Math.abs(Number(format(v, d)) - v) <= tolerance)) return d;
  }
  return MAX_DIGITS;
}

/** The fewest digits that write `v` itself to 1e-9 of its size (a log axis labels each tick on its own). */
function ownLabel(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  const tolerance = a * 1e-9;
  if (a < TINY || a >= HUGE) return exponent(v, fewestDigits([v], exponent, tolerance));
  if (a >= THOUSANDS) return `${fixed(v / 1e3, fewestDigits([v / 1e3], fixed, tolerance / 1e3))}k`;
  return fixed(v, fewestDigits([v], fixed, tolerance));
}

/**
 * Labels for one axis's ticks (null where uPlot skips a tick for room). On a
 * linear axis every label gets the same number of decimals, the fewest that
 * tell neighbouring ticks apart; on a log axis each tick is written on its own.
 */
export function formatTicks(splits: readonly (number | null)[], opts: { log?: boolean } = {}): (string | null)[] {
  const values = splits.filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return splits.map((v) => (v === null ? null : String(v)));
  if (opts.log) return splits.map((v) => (v === null ? null : ownLabel(v)));
  const sorted = [...values].sort((a, b) => a - b);
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i]! > sorted[i - 1]!) step = Math.min(step, sorted[i]! - sorted[i - 1]!);
  const largest = Math.max(...values.map(Math.abs));
  if (!Number.isFinite(step)) step = largest || 1;
  // A label may be off by a hundredth of the tick spacing: float noise such as 0.30000000000000004 is not a digit.
  const tolerance = step / 100;
  let label: (v: number) => string;
  if (largest >= HUGE || (largest > 0 && largest < TINY)) {
    const d = fewestDigits(values, exponent, tolerance);
    label = (v) => (Math.abs(v) < tolerance ? "0" : exponent(v, d));
  } else if (largest >= THOUSANDS) {
    const d = fewestDigits(
      values.map((v) => v / 1e3),
      fixed,
      tolerance / 1e3,
    );
    label = (v) => (Math.abs(v) < tolerance ? "0" : `${fixed(v / 1e3, d)}k`);
  } else {
    const d = fewestDigits(values, fixed, tolerance);
    label = (v) => fixed(v, d);
  }
  return splits.map((v) => (v === null ? null : Number.isFinite(v) ? label(v) : String(v)));
}
