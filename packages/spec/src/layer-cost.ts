import { z } from "zod";
import { Backend } from "./events";

/*
 * What a model costs on one device, measured by the engine (`measureLayerCost`):
 * per layer its parameters and activation memory (counted on the engine's own
 * arrays) and its forward and backward time, plus the whole model's inference
 * latency. The builder gets it from its worker, a server run keeps it in
 * run.json, and the report shows it: one declaration for all three.
 */

const count = z.number().int().min(0);
const milliseconds = z.number().positive("a measured time is above zero").finite();

/** One layer's cost. Times are of the layer alone, on random input of its input shape(s). */
export const LayerCostEntry = z.object({
  /** 0-based position in `spec.layers`. */
  index: count,
  kind: z.string(),
  /** The shapes (without the batch dimension) the layer was measured on; a merge layer has one per input. */
  inShapes: z.array(z.array(z.number().int().min(1))),
  /** Trainable scalars of the layer's arrays. */
  params: count,
  /** Bytes of the layer's output per sample. */
  activationBytes: count,
  /** Median wall time of one forward pass over a batch (train mode), compiled alone as inference compiles it. */
  forwardMs: milliseconds,
  /**
   * Median wall time of the layer's forward and backward passes compiled
   * together, as a training step runs them; null when the layer has no
   * backward pass: no parameters, and its input is the model's data, whose
   * gradient training never needs.
   */
  trainingMs: milliseconds.nullable(),
  /**
   * The backward pass's share of `trainingMs`: per round, the combined pass
   * less that round's forward alone, median over rounds. It reads 0.001 ms
   * when the combined pass is no slower than the forward alone, which happens:
   * jax-js compiles the two programs separately and can fuse a forward alone
   * worse (Wasm's im2col convolutions). Null with `trainingMs`.
   */
  backwardMs: milliseconds.nullable(),
});
export type LayerCostEntry = z.infer<typeof LayerCostEntry>;

/** The whole model's eval-mode latency for one batch size: inputs uploaded, probabilities read back. */
export const InferenceLatency = z.object({
  batchSize: z.number().int().min(1),
  medianMs: milliseconds,
  p95Ms: milliseconds,
  /** How many timed passes the statistics come from. */
  samples: z.number().int().min(1),
});
export type InferenceLatency = z.infer<typeof InferenceLatency>;

/** A model's measured cost on one device. */
export const LayerCost = z.object({
  backend: Backend,
  /** Batch size of the per-layer forward and backward times. */
  batchSize: z.number().int().min(1),
  /** Timed repeats behind each per-layer median (after warm-up calls that are not timed). */
  repeats: z.number().int().min(1),
  /** ISO 8601. */
  measuredAt: z.string(),
  layers: z.array(LayerCostEntry),
  inference: z.array(InferenceLatency),
});
export type LayerCost = z.infer<typeof LayerCost>;

/** Each layer's share of a training step's time (its training pass, else its forward), in [0, 1]. */
export function layerTimeShares(cost: Pick<LayerCost, "layers">): number[] {
  const totals = cost.layers.map((l) => l.trainingMs ?? l.forwardMs);
  const sum = totals.reduce((a, b) => a + b, 0);
  return totals.map((t) => (sum > 0 ? t / sum : 0));
}

/** A measured time in ms to about three significant digits; below 0.01 ms it is too short to tell apart. */
export function formatMs(ms: number): string {
  if (ms < 0.01) return "<0.01";
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}
