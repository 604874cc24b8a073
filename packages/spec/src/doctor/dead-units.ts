import { type Layer, ModelSpec, normalizeActivation } from "../model";
import type { DeadUnits } from "./types";

/** One layer's output for a batch, as the engine's `activations()` returns it. */
export interface LayerOutput {
  layer: number;
  /** Including the batch dimension: `[N, F]` or `[N, C, H, W]`. */
  shape: readonly number[];
  data: Float32Array;
}

/** Whether a layer's output has passed through a ReLU. */
function endsInRelu(layer: Layer): boolean {
  if (layer.kind === "activation") return layer.fn === "relu";
  if (layer.kind === "dense" || layer.kind === "conv2d") {
    return layer.activation !== undefined && normalizeActivation(layer.activation).fn === "relu";
  }
  return false;
}

/**
 * For each ReLU output among `outputs`, the share of its units that are never
 * positive on the whole batch ("dead"). A unit is a feature of a dense output
 * and a channel of a conv output (dead when no sample fires it anywhere).
 * `spec` says which layers end in a ReLU; other layers are left out.
 */
export function deadUnitFractions(outputs: readonly LayerOutput[], spec: unknown): DeadUnits[] {
  const parsed = ModelSpec.safeParse(spec);
  if (!parsed.success) throw new Error("deadUnitFractions needs a valid model spec to know which layers are ReLUs");
  const result: DeadUnits[] = [];
  for (const { layer, shape, data } of outputs) {
    const def = parsed.data.layers[layer];
    if (!def || !endsInRelu(def) || shape.length < 2) continue;
    const [batch, units] = [shape[0]!, shape[1]!];
    const spatial = shape.slice(2).reduce((a, b) => a * b, 1);
    if (data.length !== batch * units * spatial) {
      throw new Error(`layer ${layer}: ${data.length} values do not fit the shape [${shape.join(", ")}]`);
    }
    const alive = new Uint8Array(units);
    for (let n = 0; n < batch; n++) {
      for (let u = 0; u < units; u++) {
        if (alive[u]) continue;
        const start = (n * units + u) * spatial;
        for (let k = 0; k < spatial; k++) {
          if (data[start + k]! > 0) {
            alive[u] = 1;
            break;
          }
        }
      }
    }
    const dead = units - alive.reduce((a, b) => a + b, 0);
    result.push({ layer, fraction: dead / units });
  }
  return result;
}
