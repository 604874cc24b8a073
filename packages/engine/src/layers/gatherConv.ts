import { numpy as np } from "@jax-js/jax";
import type { ConvGeometry } from "./convImpl";
import { materializedGradient } from "./windows";

/*
 * Convolution whose patches come from one gather (`take` with precomputed
 * indices) instead of stacked window views. jax-js runs the gather as one
 * materialised kernel (~4× faster than the stack on Wasm), but the gradient
 * of a gather is a scatter, which jax-js 0.1.25 cannot compile inside `jit`.
 * So this serves only layers whose input needs no gradient: the first layer,
 * fed with data.
 *
 * Layout, chosen for jax-js's Wasm SIMD paths (bench/conv-micro.ts): the
 * patches are [N, Ho·Wo, K'] with the window axis K = C·kh·kw last and
 * zero-padded to K' (a multiple of 4). The forward product then reduces over
 * contiguous K' (4-lane SIMD), the weight gradient [O, K'] vectorises over
 * K', and the output comes out as [N, O, Ho·Wo] (NCHW) with no transpose.
 * With K = 9 (a 3×3 kernel on one channel) both products ran scalar, ~30%
 * of a CNN step.
 */

const LANES = 4;
const indexCache = new Map<string, Int32Array>();

/** K' for a window of `k` elements: the next multiple of 4. */
function paddedK(k: number): number {
  return Math.ceil(k / LANES) * LANES;
}

/**
 * The output pixels (y, x) in the order the patches list them: row-major, or
 * with `pool` > 1 grouped by the non-overlapping pool windows that cover them
 * ([Hq, Wq, pool, pool], Hq = ⌊Ho / pool⌋: floor mode drops what no window uses).
 */
function outputPixels(ho: number, wo: number, pool: number): Int32Array {
  const hq = Math.floor(ho / pool);
  const wq = Math.floor(wo / pool);
  const pixels = new Int32Array(hq * wq * pool * pool * 2);
  let at = 0;
  for (let qy = 0; qy < hq; qy++)
    for (let qx = 0; qx < wq; qx++)
      for (let dy = 0; dy < pool; dy++)
        for (let dx = 0; dx < pool; dx++) {
          pixels[at++] = qy * pool + dy;
          pixels[at++] = qx * pool + dx;
        }
  return pixels;
}

/**
 * Flat indices into the padded input [N, C, Hp, Wp] followed by one zero, of
 * patches [N, P, K']: the window's C·kh·kw elements, then the zero up to K',
 * for the P output pixels of `outputPixels`.
 */
function patchIndices(
  n: number,
  c: number,
  hp: number,
  wp: number,
  kh: number,
  kw: number,
  g: ConvGeometry,
  pool: number,
) {
  const key = [n, c, hp, wp, kh, kw, g.stride, g.h.out, g.w.out, pool].join(",");
  let idx = indexCache.get(key);
  if (idx) return idx;
  const { stride } = g;
  const pixels = outputPixels(g.h.out, g.w.out, pool);
  const p = pixels.length / 2;
  const k = c * kh * kw;
  const kPadded = paddedK(k);
  const zero = n * c * hp * wp;
  idx = new Int32Array(n * p * kPadded).fill(zero);
  let at = 0;
  for (let ni = 0; ni < n; ni++)
    for (let q = 0; q < p; q++) {
      const y = pixels[2 * q]!;
      const x = pixels[2 * q + 1]!;
      const row = at;
      for (let ci = 0; ci < c; ci++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) idx[at++] = ((ni * c + ci) * hp + y * stride + i) * wp + x * stride + j;
      at = row + kPadded;
    }
  if (indexCache.size > 32) indexCache.clear();
  indexCache.set(key, idx);
  return idx;
}

/** `x` [N, C, H, W] (not differentiated), `weight` [O, C, kh, kw] → [N, O, Ho, Wo]. Consumes both. */
export function gatherConv2d(x: np.Array, weight: np.Array, g: ConvGeometry): np.Array {
  const y = gatherConvPixels(x, weight, g, 1); // [N, O, Ho·Wo]
  return materializedGradient(y.reshape([x.shape[0]!, -1, g.h.out, g.w.out]));
}

/**
 * The convolution at the output pixels of `outputPixels(…, pool)`: `x`
 * [N, C, H, W] (not differentiated), `weight` [O, C, kh, kw] → [N, O, P].
 * Consumes both.
 */
export function gatherConvPixels(x: np.Array, weight: np.Array, g: ConvGeometry, pool: number): np.Array {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, , kh, kw] = weight.shape as [number, number, number, number];
  const [top, bottom] = g.h.padding;
  const [left, right] = g.w.padding;
  const padded = np.pad(x, [
    [0, 0],
    [0, 0],
    [top, bottom],
    [left, right],
  ]);
  const hp = h + top + bottom;
  const wp = w + left + right;
  const k = c * kh * kw;
  const kPadded = paddedK(k);
  const indices = patchIndices(n, c, hp, wp, kh, kw, g, pool);
  const p = indices.length / n / kPadded;
  const idx = np.array(indices, { dtype: np.int32 });
  const flat = np.pad(padded.reshape([-1]), [[0, 1]]); // [N·C·Hp·Wp + 1], the last one a zero
  const patches = np.take(flat, idx).reshape([n, p, kPadded]); // [N, P, K']
  // A product with [I 0] pads to K': a padded view (a masked read) would keep
  // the forward product off the SIMD path, a product's result is materialised.
  const wPadded = np.matmul(weight.reshape([o, k]), np.eye(k, kPadded, { dtype: weight.dtype })); // [O, K']
  return np.matmul(wPadded.reshape([1, o, kPadded]), patches.transpose([0, 2, 1])); // [N, O, P]
}
