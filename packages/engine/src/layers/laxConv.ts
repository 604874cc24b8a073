import { lax } from "@jax-js/jax";
import type { ConvImpl } from "./convImpl";

/** jax-js's own convolution primitive (`lax.conv` with explicit padding). */
export const laxConv: ConvImpl = {
  name: "lax",
  conv2d(x, weight, { stride, h, w }) {
    const padding: [number, number][] = [
      [h.padding[0], h.padding[1]],
      [w.padding[0], w.padding[1]],
    ];
    return lax.conv(x, weight, [stride, stride], padding); // [N, O, Ho, Wo]
  },
};
