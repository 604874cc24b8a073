import { requireImage } from "./geometry";
import { noVars } from "./init";
import type { LayerImpl } from "./types";

/** Mean over the spatial axes: [N, C, H, W] → [N, C] (PyTorch's AdaptiveAvgPool2d(1) + flatten). */
export const globalAvgPool: LayerImpl<"globalAvgPool"> = {
  kind: "globalAvgPool",
  init: (_layer, _inShape, key) => noVars(key),
  apply: (_layer, { state }, x, ctx) => {
    ctx.key?.dispose();
    return { y: x.mean([2, 3]), state }; // [N, C]
  },
  outShape: (_layer, inShape) => [requireImage("globalAvgPool", inShape)[0]],
};
