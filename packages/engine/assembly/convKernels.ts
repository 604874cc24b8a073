// The convolution kernels of LayerLab's CPU training path, compiled to WebAssembly with SIMD by
// AssemblyScript (`npm run build:kernels` writes packages/engine/src/native/convKernels.wasm.ts).
// Every pointer is a byte offset into this module's memory; every array is float32 and row-major;
// images are channels-last, [N, H, W, C], so a pixel's channels are contiguous.

// Rows of the depth (k) dimension a 4×8 tile of C accumulates before it is written back: a block of B
// [KC, n] then stays in cache while every row block of A passes over it.
const KC: i32 = 256;

// c + a·b, fused (one rounding, FMA instructions) in the build for runtimes with relaxed SIMD.
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// C[4, 8] (+)= A[4, k] · B[k, 8]. A's element (row r, depth p) is at a + r·aRow + p·aDepth (bytes), so the
// same tile serves A and Aᵀ; B's rows are `ldb` floats apart, C's `ldc`. The eight accumulators, two B vectors
// and four broadcasts fit x86-64's sixteen SIMD registers.
@inline
function tile4x8(a: usize, aRow: usize, aDepth: usize, b: usize, c: usize, k: i32, ldb: i32, ldc: i32, more: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const sb = (<usize>ldb) << 2, sc = (<usize>ldc) << 2;
  if (more) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + sc); c11 = v128.load(c + sc, 16);
    c20 = v128.load(c + 2 * sc); c21 = v128.load(c + 2 * sc, 16);
    c30 = v128.load(c + 3 * sc); c31 = v128.load(c + 3 * sc, 16);
  }
  let pa = a, pb = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa + aRow);
    const a2 = v128.load32_splat(pa + 2 * aRow), a3 = v128.load32_splat(pa + 3 * aRow);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
    c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
    c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
    pa += aDepth; pb += sb;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + sc, c10); v128.store(c + sc, c11, 16);
  v128.store(c + 2 * sc, c20); v128.store(c + 2 * sc, c21, 16);
  v128.store(c + 3 * sc, c30); v128.store(c + 3 * sc, c31, 16);
}

// One row of C: C[1, 8] (+)= A[1, k] · B[k, 8], for the rows the 4-row tiles leave over.
@inline
function tile1x8(a: usize, aDepth: usize, b: usize, c: usize, k: i32, ldb: i32, more: bool): void {
  let c0 = more ? v128.load(c) : f32x4.splat(0);
  let c1 = more ? v128.load(c, 16) : f32x4.splat(0);
  const sb = (<usize>ldb) << 2;
  let pa = a, pb = b;
  for (let p = 0; p < k; p++) {
    const a0 = v128.load32_splat(pa);
    c0 = madd(a0, v128.load(pb), c0);
    c1 = madd(a0, v128.load(pb, 16), c1);
    pa += aDepth; pb += sb;
  }
  v128.store(c, c0); v128.store(c, c1, 16);
}

// One element of C over depth [k0, k0 + kc), for the columns the 8-column tiles leave over.
@inline
function edge(a: usize, aRow: usize, aDepth: usize, b: usize, c: usize, i: i32, j: i32, k0: i32, kc: i32, n: i32, more: bool): void {
  const pc = c + (((<usize>i) * n + j) << 2);
  let s: f32 = more ? load<f32>(pc) : 0;
  for (let p = k0; p < k0 + kc; p++) {
    s += load<f32>(a + (<usize>i) * aRow + (<usize>p) * aDepth) * load<f32>(b + (((<usize>p) * n + j) << 2));
  }
  store<f32>(pc, s);
}

// C[m, n] (+)= A · B[k, n] for A's element (i, p) at a + i·aRow + p·aDepth.
function product(a: usize, aRow: usize, aDepth: usize, b: usize, c: usize, m: i32, k: i32, n: i32, accumulate: bool): void {
  if (k == 0) {
    if (!accumulate) memory.fill(c, 0, (<usize>m) * n * 4);
    return;
  }
  const wide = n & ~7;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const more = accumulate || k0 > 0;
    const ak = a + (<usize>k0) * aDepth;
    const bk = b + (((<usize>k0) * n) << 2);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      for (let j = 0; j < wide; j += 8) {
        tile4x8(ak + (<usize>i) * aRow, aRow, aDepth, bk + ((<usize>j) << 2), c + (((<usize>i) * n + j) << 2), kc, n, n, more);
      }
    }
    for (; i < m; i++) {
      for (let j = 0; j < wide; j += 8) {
        tile1x8(ak + (<usize>i) * aRow, aDepth, bk + ((<usize>j) << 2), c + (((<usize>i) * n + j) << 2), kc, n, more);
      }
    }
    for (let r = 0; r < m; r++) for (let j = wide; j < n; j++) edge(a, aRow, aDepth, b, c, r, j, k0, kc, n, more);
  }
}

/** C[m, n] = A[m, k] · B[k, n], or C += A · B when `accumulate`. */
export function sgemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, accumulate: bool): void {
  product(a, (<usize>k) << 2, 4, b, c, m, k, n, accumulate);
}

/**
 * C[m, n] = Aᵀ · B[k, n] for A [k, lda] whose first m columns are used (C += Aᵀ · B when `accumulate`): a
 * weight's gradient from the patches and the output's gradient, with no transposed copy of either.
 */
export function sgemmTN(a: usize, lda: i32, b: usize, c: usize, m: i32, k: i32, n: i32, accumulate: bool): void {
  product(a, 4, (<usize>lda) << 2, b, c, m, k, n, accumulate);
}

/** dst[b, j, i] = src[b, i, j] for each of `batch` matrices [rows, cols]. */
export function transpose(src: usize, dst: usize, batch: i32, rows: i32, cols: i32): void {
  const size = (<usize>rows) * cols;
  for (let b = 0; b < batch; b++) {
    const s = src + ((<usize>b * size) << 2), d = dst + ((<usize>b * size) << 2);
    // 8×8 blocks keep both the rows read and the rows written in cache.
    for (let i0 = 0; i0 < rows; i0 += 8) {
      const i1 = min(i0 + 8, rows);
      for (let j0 = 0; j0 < cols; j0 += 8) {
        const j1 = min(j0 + 8, cols);
        for (let i = i0; i < i1; i++) {
          for (let j = j0; j < j1; j++) {
            store<f32>(d + (((<usize>j) * rows + i) << 2), load<f32>(s + (((<usize>i) * cols + j) << 2)));
          }
        }
      }
    }
  }
}

/**
 * The patch matrix of a convolution: x [n, h, w, c] → p [n·ho·wo, kh·kw·c], row (b, oy, ox) holding the window
 * at (oy·stride − padTop, ox·stride − padLeft) in (i, j, channel) order, zeros outside the image.
 */
export function im2col(
  x: usize, p: usize, n: i32, h: i32, w: i32, c: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, ho: i32, wo: i32,
): void {
  const bytes = (<usize>c) << 2;
  let dst = p;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        for (let i = 0; i < kh; i++) {
          const iy = oy * stride + i - padTop;
          for (let j = 0; j < kw; j++) {
            const ix = ox * stride + j - padLeft;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
              memory.fill(dst, 0, bytes);
            } else {
              const src = x + ((((<usize>b) * h + iy) * w + ix) << 2) * c;
              if (c == 1) store<f32>(dst, load<f32>(src));
              else memory.copy(dst, src, bytes);
            }
            dst += bytes;
          }
        }
      }
    }
  }
}

/** The adjoint of `im2col`: dx [n, h, w, c] = the sum of every patch entry's gradient dp at its pixel. */
export function col2im(
  dp: usize, dx: usize, n: i32, h: i32, w: i32, c: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, ho: i32, wo: i32,
): void {
  memory.fill(dx, 0, (<usize>n) * h * w * c * 4);
  const bytes = (<usize>c) << 2;
  const vectors = (c & 3) == 0;
  let src = dp;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        for (let i = 0; i < kh; i++) {
          const iy = oy * stride + i - padTop;
          for (let j = 0; j < kw; j++) {
            const ix = ox * stride + j - padLeft;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
              const dst = dx + ((((<usize>b) * h + iy) * w + ix) << 2) * c;
              if (vectors) {
                for (let q: usize = 0; q < bytes; q += 16) {
                  v128.store(dst + q, f32x4.add(v128.load(dst + q), v128.load(src + q)));
                }
              } else {
                for (let q: usize = 0; q < bytes; q += 4) store<f32>(dst + q, load<f32>(dst + q) + load<f32>(src + q));
              }
            }
            src += bytes;
          }
        }
      }
    }
  }
}

/**
 * A PyTorch conv weight [o, c, kh, kw] as the rows the patch matrix multiplies: `transposed` gives [kh·kw·c, o]
 * (the forward product's B), otherwise [o, kh·kw·c] (the input gradient's B).
 */
export function packWeight(wt: usize, dst: usize, o: i32, c: i32, kh: i32, kw: i32, transposed: bool): void {
  const k = kh * kw * c;
  for (let f = 0; f < o; f++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const row = (i * kw + j) * c + ch;
          const at = transposed ? (<usize>row) * o + f : (<usize>f) * k + row;
          store<f32>(dst + (at << 2), load<f32>(wt + (((((<usize>f) * c + ch) * kh + i) * kw + j) << 2)));
        }
      }
    }
  }
}

/** The inverse of `packWeight`: [kh·kw·c, o] (`transposed`) or [o, kh·kw·c] → a PyTorch weight [o, c, kh, kw]. */
export function unpackWeight(src: usize, wt: usize, o: i32, c: i32, kh: i32, kw: i32, transposed: bool): void {
  const k = kh * kw * c;
  for (let f = 0; f < o; f++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const row = (i * kw + j) * c + ch;
          const at = transposed ? (<usize>row) * o + f : (<usize>f) * k + row;
          store<f32>(wt + (((((<usize>f) * c + ch) * kh + i) * kw + j) << 2), load<f32>(src + (at << 2)));
        }
      }
    }
  }
}

/** Every row of y [m, n] set to `row` [n]. */
export function fillRows(y: usize, row: usize, m: i32, n: i32): void {
  const bytes = (<usize>n) << 2;
  if ((n & 3) == 0 && n <= 64) {
    // Short rows: vector stores beat a bulk copy per row.
    for (let r = 0; r < m; r++) {
      const to = y + (<usize>r) * bytes;
      for (let q: usize = 0; q < bytes; q += 16) v128.store(to + q, v128.load(row + q));
    }
    return;
  }
  for (let r = 0; r < m; r++) memory.copy(y + (<usize>r) * bytes, row, bytes);
}

/** sums[j] = Σ_r y[r, j] over y [m, n]: a bias's gradient. */
export function columnSums(y: usize, sums: usize, m: i32, n: i32): void {
  memory.fill(sums, 0, (<usize>n) << 2);
  const vectors = n & ~3;
  for (let r = 0; r < m; r++) {
    const row = y + (((<usize>r) * n) << 2);
    let j = 0;
    for (; j < vectors; j += 4) {
      const at = sums + ((<usize>j) << 2);
      v128.store(at, f32x4.add(v128.load(at), v128.load(row + ((<usize>j) << 2))));
    }
    for (; j < n; j++) {
      const at = sums + ((<usize>j) << 2);
      store<f32>(at, load<f32>(at) + load<f32>(row + ((<usize>j) << 2)));
    }
  }
}

/** y = max(y, 0) over `count` elements, in place. */
export function reluForward(y: usize, count: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const at = y + ((<usize>i) << 2);
    v128.store(at, f32x4.max(v128.load(at), zero));
  }
  for (; i < count; i++) {
    const at = y + ((<usize>i) << 2);
    store<f32>(at, max(load<f32>(at), 0));
  }
}

/** dy = 0 wherever y (the relu's output) is not positive, in place. */
export function reluBackward(dy: usize, y: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const at = (<usize>i) << 2;
    if (load<f32>(y + at) <= 0) store<f32>(dy + at, 0);
  }
}

/**
 * Max pool over k×k windows with stride k of y [n, ho, wo, c] → out [n, hq, wq, c] (rows and columns past
 * hq·k, wq·k are dropped, as PyTorch's floor mode does). `index` [n, hq, wq, c] (int32) receives the element of y
 * each maximum came from (an offset from `y`): the first in row-major window order. With `relu`, out = max(pool, 0): the pool of a relu
 * is the relu of the pool.
 */
export function maxPoolForward(
  y: usize, out: usize, index: usize, n: i32, ho: i32, wo: i32, c: i32, k: i32, hq: i32, wq: i32, relu: bool,
): void {
  const vectors = (c & 3) == 0;
  const zero = f32x4.splat(0);
  let q: usize = 0;
  for (let b = 0; b < n; b++) {
    for (let qy = 0; qy < hq; qy++) {
      for (let qx = 0; qx < wq; qx++) {
        const corner = (((<usize>b) * ho + qy * k) * wo + qx * k) * c;
        let ch = 0;
        // Four channels at once: they are contiguous in every window pixel.
        if (vectors) {
          for (; ch < c; ch += 4) {
            const first = corner + ch;
            let value = v128.load(y + (first << 2));
            let best = i32x4.add(i32x4.splat(<i32>first), i32x4(0, 1, 2, 3));
            for (let dy = 0; dy < k; dy++) {
              for (let dx = 0; dx < k; dx++) {
                const at = corner + ((<usize>dy) * wo + dx) * c + ch;
                const v = v128.load(y + (at << 2));
                const greater = f32x4.gt(v, value);
                value = v128.bitselect(v, value, greater);
                best = v128.bitselect(i32x4.add(i32x4.splat(<i32>at), i32x4(0, 1, 2, 3)), best, greater);
              }
            }
            v128.store(out + ((q + ch) << 2), relu ? f32x4.max(value, zero) : value);
            v128.store(index + ((q + ch) << 2), best);
          }
        }
        for (; ch < c; ch++) {
          let best = corner + ch;
          let value = load<f32>(y + (best << 2));
          for (let dy = 0; dy < k; dy++) {
            for (let dx = 0; dx < k; dx++) {
              const at = corner + ((<usize>dy) * wo + dx) * c + ch;
              const v = load<f32>(y + (at << 2));
              if (v > value) {
                value = v;
                best = at;
              }
            }
          }
          store<f32>(out + ((q + ch) << 2), relu ? max(value, 0) : value);
          store<i32>(index + ((q + ch) << 2), <i32>best);
        }
        q += c;
      }
    }
  }
}

/**
 * The adjoint of `maxPoolForward`: dy [count of y] is zero except at each window's maximum, which gets the
 * window's gradient (nothing where `relu` clipped the window's output to 0).
 */
export function maxPoolBackward(dout: usize, out: usize, index: usize, dy: usize, pooled: i32, size: i32, relu: bool): void {
  memory.fill(dy, 0, (<usize>size) << 2);
  for (let q = 0; q < pooled; q++) {
    const at = (<usize>q) << 2;
    if (relu && load<f32>(out + at) <= 0) continue;
    const to = dy + ((<usize>load<i32>(index + at)) << 2);
    store<f32>(to, load<f32>(to) + load<f32>(dout + at));
  }
}
