import { EXPLODING_GRADIENT_NORM, layerLabel, VANISHING_GRADIENT_NORM } from "@layerlab/spec";
import type { GradientSeries } from "../charts/series";

/** A layer whose latest gradient is out of the healthy range. */
export interface GradientWarning {
  layer: number;
  kind: "vanishing" | "exploding" | "overflow";
  /** The latest gradient norm (NaN when it overflowed). */
  gradNorm: number;
  message: string;
}

/** Warnings for the layers whose latest gradient norm vanished (< 1e-7), exploded (> 1e3) or overflowed. */
export function gradientWarnings(g: GradientSeries): GradientWarning[] {
  const out: GradientWarning[] = [];
  const last = g.step.length - 1;
  if (last < 0) return out;
  for (const [layer, col] of g.layers) {
    const norm = col.gradNorm[last]!;
    const name = layerLabel(col.kind, layer);
    if (Number.isNaN(norm) && col.gradNorm.length > 0) {
      out.push({ layer, kind: "overflow", gradNorm: norm, message: `${name}: the gradient overflowed (NaN or ∞)` });
    } else if (norm < VANISHING_GRADIENT_NORM) {
      out.push({
        layer,
        kind: "vanishing",
        gradNorm: norm,
        message: `${name}: gradient norm ${norm.toExponential(1)} < ${VANISHING_GRADIENT_NORM.toExponential(0)} — it has stopped learning (vanishing gradient)`,
      });
    } else if (norm > EXPLODING_GRADIENT_NORM) {
      out.push({
        layer,
        kind: "exploding",
        gradNorm: norm,
        message: `${name}: gradient norm ${norm.toExponential(1)} > ${EXPLODING_GRADIENT_NORM.toExponential(0)} — updates blow up (exploding gradient)`,
      });
    }
  }
  return out;
}
