import { lax, numpy as np } from "@jax-js/jax";
import type { AxisWindow } from "./geometry";
import { padForWindows, windowAt } from "./windows";

/** How a window is reduced. */
export type PoolOp = "max" | "mean";

/** One way to pool the spatial axes of `x` [N, C, H, W] → [N, C, Ho, Wo]. Consumes `x`. */
export type PoolFn = (x: np.Array, op: PoolOp, h: AxisWindow, w: AxisWindow) => np.Array;

/**
 * Non-overlapping windows (size = stride) as rows of a [N·C·Ho·Wo, size²]
 * matrix: one reduction for a mean, `maxOfRows` for a max. Only valid when
 * `kernel === stride`. The fastest pooling on Wasm (bench/conv-micro.ts).
 */
export const poolByReshape: PoolFn = (x, op, h, w) => {
  const [n, c] = x.shape as [number, number];
  const k = h.kernel;
  // A 1×1 "kernel" makes padForWindows keep exactly k·out rows and columns.
  const cropped = padForWindows(x, 2, [h.padding, w.padding], [1, 1], k, [h.out, w.out]); // [N, C, k·Ho, k·Wo]
  const blocks = cropped.reshape([n, c, h.out, k, w.out, k]);
  if (op === "mean") return blocks.mean([3, 5]); // [N, C, Ho, Wo]
  const rows = blocks.transpose([0, 1, 2, 4, 3, 5]).reshape([-1, k * k]); // [N·C·Ho·Wo, k²]
  return maxOfRows(rows).reshape([n, c, h.out, w.out]);
};

/**
 * The max of each row of `rows` [M, K], its gradient routed to the row's
 * first maximum as PyTorch's MaxPool2d does (a NaN counts as the maximum).
 * Written as `Σ row·hit` with `hit` a constant (stop-gradient) one-hot mask,
 * so jax-js's backward pass is one elementwise product instead of what it
 * derives for a max reduction (a tie count, a divide, two more K-wide
 * reductions); on Wasm a small-K max/sum reduction costs ~10 ns per row
 * while this product vectorises: relu + maxpool 2×2 on [64, 32, 26, 26],
 * forward + backward, 22 ms → 9 ms on Wasm (single thread; the whole CNN in
 * bench/conv-micro.ts). An infinite value off the
 * maximum would turn its 0·∞ into NaN, as any ∞ in a product does.
 * Consumes `rows`.
 */
export function maxOfRows(rows: np.Array): np.Array {
  const k = rows.shape[1]!;
  const values = lax.stopGradient(rows.ref); // [M, K]
  // An elementwise max over the K column views: a max reduction is ~10× slower.
  let top = values.ref.slice([], 0); // [M]
  for (let j = 1; j < k; j++) top = np.maximum(top, values.ref.slice([], j));
  const dtype = rows.dtype;
  const isMax = np.logicalOr(np.equal(values.ref, top.reshape([-1, 1])), np.isnan(values)).astype(dtype); // [M, K]
  // earlier[m, j] = number of maxima before column j: a product with a strictly upper-triangular 0/1 matrix.
  const earlier = np.matmul(isMax.ref, np.triu(np.ones([k, k], { dtype }), 1)); // [M, K]
  const hit = isMax.mul(np.equal(earlier, 0).astype(dtype)); // [M, K], one-hot
  return rows.mul(hit).sum(1); // [M]
}

/**
 * The elementwise max of `views` (each [..., window pixel's values]), its
 * gradient routed to the first view holding the maximum as PyTorch's
 * MaxPool2d does (a NaN counts as the maximum). As `maxOfRows`, written as
 * `Σ view·hit` with constant one-hot masks `hit`, built here from running
 * comparisons instead of a product, since the window runs across views.
 * Consumes `views`.
 */
export function maxOfViews(views: np.Array[]): np.Array {
  const dtype = views[0]!.dtype;
  const values = views.map((v) => lax.stopGradient(v.ref));
  let top = values[0]!.ref;
  for (let j = 1; j < values.length; j++) top = np.maximum(top, values[j]!.ref);
  let taken: np.Array | null = null; // 1 where an earlier view held the maximum
  let out: np.Array | null = null;
  views.forEach((view, j) => {
    const v = values[j]!;
    const isMax = np.logicalOr(np.equal(v.ref, top.ref), np.isnan(v)).astype(dtype);
    const hit = taken ? isMax.ref.mul(np.equal(taken.ref, 0).astype(dtype)) : isMax.ref;
    taken = taken ? np.maximum(taken, isMax) : isMax;
    const term = view.mul(hit);
    out = out ? out.add(term) : term;
  });
  top.dispose();
  (taken as np.Array | null)?.dispose();
  return out!;
}

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
