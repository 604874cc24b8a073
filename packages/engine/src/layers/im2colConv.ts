import { numpy as np } from "@jax-js/jax";
import type { ConvImpl } from "./convImpl";
import { padForWindows, windowAt } from "./windows";

/**
 * Convolution as im2col + one 2-D matmul. The input is moved to CNHW so that
 * the kh·kw shifted (strided) views stack into patches [C·kh·kw, N·Ho·Wo]
 * and `weight` reshaped to [O, C·kh·kw] multiplies them in a single plain
 * matmul → [O, N·Ho·Wo]. The fastest of the variants measured on Wasm
 * (bench/conv-micro.ts: NCHW batched matmul, NHWC, shift-and-sum, lax.conv).
 */
export const im2colConv: ConvImpl = {
  name: "im2col",
  conv2d(x, weight, { stride, h, w }) {
    const [n, c] = x.shape as [number, number];
    const [o, , kh, kw] = weight.shape as [number, number, number, number];
    const cnhw = x.transpose([1, 0, 2, 3]); // [C, N, H, W]
    const xp = padForWindows(cnhw, 2, [h.padding, w.padding], [kh, kw], stride, [h.out, w.out]);
    const views: np.Array[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) views.push(windowAt(xp.ref, 2, i, j, stride, h.out, w.out)); // [C, N, Ho, Wo]
    }
    xp.dispose();
    const stacked = views.length === 1 ? views[0]!.reshape([c, 1, n, h.out, w.out]) : np.stack(views, 1); // [C, K, N, Ho, Wo]
    const patches = stacked.reshape([c * kh * kw, n * h.out * w.out]);
    const y = np.matmul(weight.reshape([o, c * kh * kw]), patches); // [O, N·Ho·Wo]
    return y.reshape([o, n, h.out, w.out]).transpose([1, 0, 2, 3]); // [N, O, Ho, Wo]
  },
};
