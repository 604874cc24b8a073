import {
  EXPLODING_GRADIENT_NORM,
  type LayerGradientStats,
  layerLabel,
  type ModelSpec,
  VANISHING_GRADIENT_NORM,
} from "@layerlab/spec";

/** Which parameter tensors make up each spec layer, in the order the train step stacks their sums. */
export interface LayerGroups {
  /** Parameter names (`"0.weight"`), row order of the `[T, 3]` sums. */
  names: string[];
  layers: { layer: number; kind: string; rows: number[] }[];
}

/** Groups a model's parameter names by spec layer (layers without parameters are left out). */
export function layerGroups(spec: ModelSpec, paramNames: readonly string[]): LayerGroups {
  const names = [...paramNames].sort();
  const byLayer = new Map<number, number[]>();
  names.forEach((name, row) => {
    const layer = Number(name.slice(0, name.indexOf(".")));
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), row]);
  });
  const layers = [...byLayer.entries()]
    .sort(([a], [b]) => a - b)
    .map(([layer, rows]) => ({ layer, kind: spec.layers[layer]?.kind ?? "unknown", rows }));
  return { names, layers };
}

/**
 * Per-layer statistics from the summed squares of `steps` steps (`sums` is
 * `[T · 3]`: Σ‖g‖², Σ‖Δw‖², Σ‖w‖² per tensor). The gradient norm is the
 * root-mean-square over the steps of the layer's whole-gradient L2 norm; the
 * update ratio is RMS ‖Δw‖ over RMS ‖w‖. Overflowed values become null.
 */
export function readGradientStats(groups: LayerGroups, sums: Float32Array, steps: number): LayerGradientStats[] {
  const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
  return groups.layers.map(({ layer, kind, rows }) => {
    const total = (col: number) => rows.reduce((s, r) => s + sums[r * 3 + col]!, 0);
    const grad = total(0);
    const update = total(1);
    const weight = total(2);
    return {
      layer,
      kind,
      gradNorm: finiteOrNull(Math.sqrt(grad / Math.max(1, steps))),
      updateRatio: weight > 0 ? finiteOrNull(Math.sqrt(update / weight)) : null,
    };
  });
}

/**
 * Warnings, for a person, for layers whose gradients vanish or explode. Each
 * (layer, problem) is reported once per run: `warned` remembers them.
 */
export function gradientWarnings(stats: readonly LayerGradientStats[], warned: Set<string>): string[] {
  const messages: string[] = [];
  for (const { layer, kind, gradNorm } of stats) {
    const name = layerLabel(kind, layer);
    let problem: "exploding" | "vanishing" | null = null;
    let message = "";
    if (gradNorm === null || gradNorm > EXPLODING_GRADIENT_NORM) {
      problem = "exploding";
      const value = gradNorm === null ? "overflowed (NaN or infinite)" : `is ${gradNorm.toExponential(2)}`;
      message = `Exploding gradients in ${name}: the gradient norm ${value}, above ${EXPLODING_GRADIENT_NORM.toExponential(0)}. Lower the learning rate, add batch normalisation, or use Adam.`;
    } else if (gradNorm < VANISHING_GRADIENT_NORM) {
      problem = "vanishing";
      message = `Vanishing gradients in ${name}: the gradient norm is ${gradNorm.toExponential(2)}, below ${VANISHING_GRADIENT_NORM.toExponential(0)}, so it barely learns. Use ReLU instead of sigmoid/tanh, add batch normalisation, or make the network shallower.`;
    }
    if (problem && !warned.has(`${layer}:${problem}`)) {
      warned.add(`${layer}:${problem}`);
      messages.push(message);
    }
  }
  return messages;
}
