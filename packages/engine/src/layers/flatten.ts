import { noVars } from "./init";
import type { LayerImpl } from "./types";

/** [N, C, H, W] → [N, C·H·W] in C·H·W order, as PyTorch's Flatten on NCHW tensors. */
export const flatten: LayerImpl<"flatten"> = {
  kind: "flatten",
  init: (_layer, _inShape, key) => noVars(key),
  apply: (_layer, { state }, x, ctx) => {
    ctx.key?.dispose();
    return { y: x.reshape([x.shape[0]!, -1]), state }; // [N, C·H·W]
  },
  outShape: (_layer, inShape) => [inShape.reduce((a, b) => a * b, 1)],
};
