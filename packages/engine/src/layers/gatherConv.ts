import { numpy as np } from "@jax-js/jax";
import type { ConvGeometry } from "./convImpl";

/*
 * Convolution whose patches come from one gather (`take` with precomputed
 * indices) instead of stacked window views. jax-js runs the gather as one
 * materialised kernel (~4× faster than the stack on Wasm, and the backward
 * pass reuses it instead of re-deriving the patches), but the gradient of a
 * gather is a scatter, which jax-js 0.1.25 cannot compile inside `jit`. So
 * this serves only layers whose input needs no gradient: the first layer,
 * fed with data.
 */

const indexCache = new Map<string, Int32Array>();

/** Flat indices into the padded input [N, C, Hp, Wp] of patches [C·kh·kw, N·Ho·Wo]. */
function patchIndices(n: number, c: number, hp: number, wp: number, kh: number, kw: number, g: ConvGeometry) {
  const key = [n, c, hp, wp, kh, kw, g.stride, g.h.out, g.w.out].join(",");
  let idx = indexCache.get(key);
  if (idx) return idx;
  const { stride } = g;
  const ho = g.h.out;
  const wo = g.w.out;
  idx = new Int32Array(c * kh * kw * n * ho * wo);
  let k = 0;
  for (let ci = 0; ci < c; ci++)
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let ni = 0; ni < n; ni++)
          for (let y = 0; y < ho; y++) {
            const row = ((ni * c + ci) * hp + y * stride + i) * wp + j;
            for (let x = 0; x < wo; x++) idx[k++] = row + x * stride;
          }
  if (indexCache.size > 32) indexCache.clear();
  indexCache.set(key, idx);
  return idx;
}

/** `x` [N, C, H, W] (not differentiated), `weight` [O, C, kh, kw] → [N, O, Ho, Wo]. Consumes both. */
export function gatherConv2d(x: np.Array, weight: np.Array, g: ConvGeometry): np.Array {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, , kh, kw] = weight.shape as [number, number, number, number];
  const [top, bottom] = g.h.padding;
  const [left, right] = g.w.padding;
  const padded =
    top + bottom + left + right > 0
      ? np.pad(x, [
          [0, 0],
          [0, 0],
          [top, bottom],
          [left, right],
        ])
      : x;
  const hp = h + top + bottom;
  const wp = w + left + right;
  const idx = np.array(patchIndices(n, c, hp, wp, kh, kw, g), { dtype: np.int32 });
  const patches = np.take(padded.reshape([-1]), idx).reshape([c * kh * kw, n * g.h.out * g.w.out]);
  const y = np.matmul(weight.reshape([o, c * kh * kw]), patches); // [O, N·Ho·Wo]
  return y.reshape([o, n, g.h.out, g.w.out]).transpose([1, 0, 2, 3]); // [N, O, Ho, Wo]
}
