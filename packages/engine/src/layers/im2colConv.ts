import { numpy as np } from "@jax-js/jax";
import type { ConvImpl } from "./convImpl";
import { padForWindows } from "./windows";

type SliceSpec = Parameters<np.Array["slice"]>[number];

/**
 * The `kernel` strided windows along one axis, stacked on a new axis 1:
 * `[C, ...rest]` → `[C, kernel, ...rest]` with `axis` shrunk to `out`.
 * jax-js has no strided slices, so stride > 1 reshapes the axis into
 * `[out, stride]` and keeps offset 0 (padForWindows made the axis long enough).
 * Consumes `x`.
 */
function axisWindows(x: np.Array, axis: number, kernel: number, stride: number, out: number): np.Array {
  const views: np.Array[] = [];
  const channels = x.shape[0]!;
  for (let k = 0; k < kernel; k++) {
    const spec: SliceSpec[] = x.shape.map(() => []);
    spec[axis] = [k, k + stride * out];
    let view = x.ref.slice(...spec);
    if (stride > 1) {
      const shape = [...view.shape];
      shape.splice(axis, 1, out, stride);
      const pick: SliceSpec[] = shape.map(() => []);
      pick[axis + 1] = 0;
      view = view.reshape(shape).slice(...pick);
    }
    views.push(view);
  }
  x.dispose();
  return kernel === 1 ? views[0]!.reshape([channels, 1, ...views[0]!.shape.slice(1)]) : np.stack(views, 1);
}

/**
 * Convolution as im2col + one 2-D matmul. The input is moved to CNHW; the
 * patches are built separably — the kw column shifts first, then the kh row
 * shifts of those — because jax-js lowers a stack of k views to a k-way
 * select per element, so two k-way stacks cost far less than one k²-way
 * stack (bench/conv-micro.ts; 3×3 on [32, 64, 13, 13]: 17 ms vs 26 ms).
 * `weight` reshaped to [O, C·kh·kw] then multiplies the patches
 * [C·kh·kw, N·Ho·Wo] in a single plain matmul.
 */
export const im2colConv: ConvImpl = {
  name: "im2col",
  conv2d(x, weight, { stride, h, w }) {
    const [n, c] = x.shape as [number, number];
    const [o, , kh, kw] = weight.shape as [number, number, number, number];
    const cnhw = x.transpose([1, 0, 2, 3]); // [C, N, H, W]
    const xp = padForWindows(cnhw, 2, [h.padding, w.padding], [kh, kw], stride, [h.out, w.out]);
    const cols = axisWindows(xp, 3, kw, stride, w.out); // [C, kw, N, H', Wo]
    const patches = axisWindows(cols, 3, kh, stride, h.out); // [C, kh, kw, N, Ho, Wo]
    const y = np.matmul(weight.reshape([o, c * kh * kw]), patches.reshape([c * kh * kw, n * h.out * w.out])); // [O, N·Ho·Wo]
    return y.reshape([o, n, h.out, w.out]).transpose([1, 0, 2, 3]); // [N, O, Ho, Wo]
  },
};
