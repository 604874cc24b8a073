import type { numpy as np } from "@jax-js/jax";
import type { LayerKind, LayerOf, Shape } from "@layerlab/spec";

/**
 * Arrays of one layer, keyed by their PyTorch names (`weight`, `bias`,
 * `running_mean`, …) and stored in PyTorch's layouts (`[out, in]` for a
 * Linear, `[out, in, kh, kw]` for a Conv2d), so checkpoints and exports need
 * no transposes.
 */
export type ArrayMap = { [name: string]: np.Array };

/** Trainable parameters and non-trainable state (batch-norm running statistics). */
export type LayerVars = { params: ArrayMap; state: ArrayMap };

export type Mode = "train" | "eval";

/** What `apply` may need besides its input: the mode, and a PRNG key in training. */
export interface ApplyContext {
  mode: Mode;
  /** A fresh jax-js PRNG key, given (and owned by the layer) only in train mode to layers with `needsKey`. */
  key?: np.Array;
  /**
   * True when `x` is the model's input (data, never differentiated), which
   * lets a layer use operations whose gradient jax-js cannot compile.
   */
  inputIsData?: boolean;
}

/**
 * One layer kind of the engine. Ownership follows jax-js: `apply` consumes
 * `params`, `state` and `x` (callers pass `.ref`s of what they keep) and
 * returns freshly owned arrays.
 */
export interface LayerImpl<K extends LayerKind> {
  kind: K;
  /** Seeded initialisation as PyTorch's defaults do it. Consumes `key` (a jax-js PRNG key). */
  init(layer: LayerOf<K>, inShape: Shape, key: np.Array): LayerVars;
  /** `x` has a leading batch dimension. Returns the output and, in train mode, the updated state. */
  apply(layer: LayerOf<K>, vars: LayerVars, x: np.Array, ctx: ApplyContext): { y: np.Array; state: ArrayMap };
  /** Output shape without the batch dimension; agrees with `@layerlab/spec`'s inference. */
  outShape(layer: LayerOf<K>, inShape: Shape): Shape;
  /** True for layers that draw random numbers in train mode (dropout). */
  needsKey?: boolean;
}
