import { numpy as np } from "@jax-js/jax";
import type { ConvGeometry, ConvImpl } from "./convImpl";
import { materializedGradient, padForWindows } from "./windows";

type SliceSpec = Parameters<np.Array["slice"]>[number];

/**
 * The strided view `x[..., k : k + stride·out : stride, ...]` on `axis`.
 * jax-js has no strided slices, so stride > 1 reshapes the axis into
 * `[out, stride]` and keeps offset 0 (padForWindows made the axis long
 * enough). Consumes `x`.
 */
function shiftedView(x: np.Array, axis: number, k: number, stride: number, out: number): np.Array {
  const spec: SliceSpec[] = x.shape.map(() => []);
  spec[axis] = [k, k + stride * out];
  const view = x.slice(...spec);
  if (stride === 1) return view;
  const shape = [...view.shape];
  shape.splice(axis, 1, out, stride);
  const pick: SliceSpec[] = shape.map(() => []);
  pick[axis + 1] = 0;
  return view.reshape(shape).slice(...pick);
}

/**
 * Convolution as im2col + matmuls, channels last. The input is viewed as
 * NHWC and its kw column shifts are stacked once into `cols`
 * [N, H', Wo, kw·C]; each of the kh row shifts of `cols` is then already a
 * [N·Ho·Wo, kw·C] patch matrix (a view, contiguous along kw·C), so the
 * convolution is kh matmuls with the weight rows [kw·C, O] of that kernel
 * row, summed. Measured on Wasm (conv 32→64 3×3 on 13×13, batch 64,
 * forward + backward, single thread): 59 ms for the former CNHW im2col,
 * whose patch gradient needed a 2.2 M-element transpose, 51 ms for a full
 * NHWC patch matrix (jax-js evaluates a k-way stack as a masked k-way sum
 * per element), 38 ms for this form, which stacks one axis only
 * (bench/conv-micro.ts compares them in the whole CNN).
 */
export const im2colConv: ConvImpl = {
  name: "im2col",
  conv2d(x, weight, geometry) {
    return im2colNhwc(x, weight, geometry).transpose([0, 3, 1, 2]); // [N, O, Ho, Wo]
  },
};

/** The im2col convolution's result as it comes out of the products: `x` [N, C, H, W] → [N, Ho, Wo, O]. Consumes both. */
export function im2colNhwc(x: np.Array, weight: np.Array, { stride, h, w }: ConvGeometry): np.Array {
  const [n, c] = x.shape as [number, number];
  const [o, , kh, kw] = weight.shape as [number, number, number, number];
  const nhwc = materializedGradient(x).transpose([0, 2, 3, 1]); // [N, H, W, C]
  const xp = padForWindows(nhwc, 1, [h.padding, w.padding], [kh, kw], stride, [h.out, w.out]); // [N, H', W', C]
  const shifts = Array.from({ length: kw }, (_, j) => shiftedView(xp.ref, 2, j, stride, w.out)); // kw × [N, H', Wo, C]
  xp.dispose();
  const cols = kw === 1 ? shifts[0]! : np.stack(shifts, 3); // [N, H', Wo, kw, C]
  const rows = kw * c;
  const wt = weight.transpose([2, 3, 1, 0]).reshape([kh, rows, o]); // [kh, kw·C, O]
  let y: np.Array | null = null;
  for (let i = 0; i < kh; i++) {
    const patches = shiftedView(cols.ref, 1, i, stride, h.out).reshape([n * h.out * w.out, rows]); // [N·Ho·Wo, kw·C]
    const term = np.matmul(patches, wt.ref.slice(i)); // [N·Ho·Wo, O]
    y = y ? y.add(term) : term;
  }
  cols.dispose();
  wt.dispose();
  return y!.reshape([n, h.out, w.out, o]);
}
