import { lax, numpy as np } from "@jax-js/jax";
import type { AxisWindow } from "./geometry";
import { padForWindows, windowAt } from "./windows";

/** How a window is reduced. */
export type PoolOp = "max" | "mean";

/** One way to pool the spatial axes of `x` [N, C, H, W] → [N, C, Ho, Wo]. Consumes `x`. */
export type PoolFn = (x: np.Array, op: PoolOp, h: AxisWindow, w: AxisWindow) => np.Array;

/**
 * Non-overlapping windows (size = stride) as a reshape to
 * [N, C, Ho, size, Wo, size] and one reduction; only valid when
 * `kernel === stride`. The fastest pooling on Wasm (bench/conv-micro.ts).
 */
export const poolByReshape: PoolFn = (x, op, h, w) => {
  const [n, c] = x.shape as [number, number];
  const k = h.kernel;
  // A 1×1 "kernel" makes padForWindows keep exactly k·out rows and columns.
  const cropped = padForWindows(x, 2, [h.padding, w.padding], [1, 1], k, [h.out, w.out]); // [N, C, k·Ho, k·Wo]
  const blocks = cropped.reshape([n, c, h.out, k, w.out, k]);
  return op === "max" ? blocks.max([3, 5]) : blocks.mean([3, 5]); // [N, C, Ho, Wo]
};

/** Any windows as an elementwise max/sum over the size² shifted strided views. */
export const poolByShiftedViews: PoolFn = (x, op, h, w) => {
  const k = h.kernel;
  const xp = padForWindows(x, 2, [h.padding, w.padding], [k, k], h.stride, [h.out, w.out]);
  let acc: np.Array | null = null;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const view = windowAt(xp.ref, 2, i, j, h.stride, h.out, w.out); // [N, C, Ho, Wo]
      acc = acc === null ? view : op === "max" ? np.maximum(acc, view) : acc.add(view);
    }
  }
  xp.dispose();
  return op === "max" ? acc! : acc!.mul(1 / (k * k));
};

/** Any windows through jax-js's `lax.reduceWindow`. */
export const poolByReduceWindow: PoolFn = (x, op, h, w) => {
  const reduce = op === "max" ? (t: np.Array) => t.max() : (t: np.Array) => t.mean();
  return lax.reduceWindow(x, reduce, [h.kernel, w.kernel], [h.stride, w.stride]); // [N, C, Ho, Wo]
};

/** The pooling used by the pool layers: a reshape for non-overlapping windows, shifted views otherwise. */
export const pool: PoolFn = (x, op, h, w) =>
  h.kernel === h.stride ? poolByReshape(x, op, h, w) : poolByShiftedViews(x, op, h, w);
