import { numpy as np } from "@jax-js/jax";
import type { AxisPadding } from "./geometry";

type SliceSpec = Parameters<np.Array["slice"]>[number];

/**
 * The strided view `x[..., i : i + stride·outH : stride, j : … : stride]` on
 * the two spatial axes `hAxis` and `hAxis + 1`. jax-js has no strided slices,
 * so a stride > 1 reshapes each axis into `[out, stride]` and keeps offset 0;
 * `x` must therefore reach `i + stride·outH` (see `padForWindows`).
 * Consumes `x`.
 */
export function windowAt(
  x: np.Array,
  hAxis: number,
  i: number,
  j: number,
  stride: number,
  outH: number,
  outW: number,
): np.Array {
  const spec: SliceSpec[] = x.shape.map(() => []);
  spec[hAxis] = [i, i + stride * outH];
  spec[hAxis + 1] = [j, j + stride * outW];
  const cut = x.slice(...spec); // [..., stride·outH, stride·outW, ...]
  if (stride === 1) return cut;
  const lead = x.shape.slice(0, hAxis);
  const tail = x.shape.slice(hAxis + 2);
  const split = cut.reshape([...lead, outH, stride, outW, stride, ...tail]);
  const pick: SliceSpec[] = split.shape.map(() => []);
  pick[hAxis + 1] = 0;
  pick[hAxis + 3] = 0;
  return split.slice(...pick); // [..., outH, outW, ...]
}

/**
 * Pads (zeros) or crops the two spatial axes so that every window of
 * `windowAt` is in range: `before` pixels in front, and at the end exactly
 * what the last window reaches, `kernel - 1 + stride·out` in total. Cropping
 * drops rows no window uses (floor mode). Consumes `x`.
 */
export function padForWindows(
  x: np.Array,
  hAxis: number,
  pads: readonly [AxisPadding, AxisPadding],
  kernel: readonly [number, number],
  stride: number,
  out: readonly [number, number],
): np.Array {
  const widths: [number, number][] = x.shape.map(() => [0, 0]);
  const crop: SliceSpec[] = x.shape.map(() => []);
  let needsCrop = false;
  for (const a of [0, 1] as const) {
    const axis = hAxis + a;
    const size = x.shape[axis]!;
    const before = pads[a][0];
    const reach = kernel[a] - 1 + stride * out[a];
    const after = reach - before - size;
    if (after >= 0) widths[axis] = [before, after];
    else {
      widths[axis] = [before, 0];
      crop[axis] = [0, reach];
      needsCrop = true;
    }
  }
  const padded = widths.some(([b, e]) => b > 0 || e > 0) ? np.pad(x, widths) : x;
  return needsCrop ? padded.slice(...crop) : padded;
}

/**
 * `x` itself, but in the backward pass its gradient is materialised: the
 * transpose of this slice is a pad, whose input jax-js always materialises.
 * Otherwise jax-js may fuse the gradient's expression into the kernel that
 * consumes it and re-evaluate it there per use: a conv's col2im sums once
 * per pooled pixel after a 2×2 max pool (4×), a relu mask once per
 * multiply-add of a weight-gradient product (and off its SIMD path).
 * Consumes `x`.
 */
export function materializedGradient(x: np.Array): np.Array {
  const widths: [number, number][] = x.shape.map(() => [0, 0]);
  widths[0] = [0, 1];
  const spec: SliceSpec[] = x.shape.map(() => []);
  spec[0] = [0, x.shape[0]!];
  return np.pad(x, widths).slice(...spec);
}
