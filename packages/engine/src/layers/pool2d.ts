import type { LayerOf, Shape } from "@layerlab/spec";
import { type AxisWindow, axisWindow, requireImage, requireWindowFits } from "./geometry";
import { noVars } from "./init";
import { type PoolOp, pool } from "./pooling";
import type { LayerImpl } from "./types";

type PoolKind = "maxPool2d" | "avgPool2d";

/** Window geometry of a pool layer: no padding, stride defaulting to size, floor mode (PyTorch). */
export function poolGeometry(layer: LayerOf<PoolKind>, inShape: Shape): { h: AxisWindow; w: AxisWindow } {
  const [, height, width] = requireImage(layer.kind, inShape);
  const stride = layer.stride ?? layer.size;
  const h = axisWindow(height, layer.size, stride, "valid");
  const w = axisWindow(width, layer.size, stride, "valid");
  requireWindowFits(layer.kind, inShape, h, w);
  return { h, w };
}

function poolLayer<K extends PoolKind>(kind: K, op: PoolOp): LayerImpl<K> {
  return {
    kind,
    init: (_layer, _inShape, key) => noVars(key),
    apply: (layer, { state }, x, ctx) => {
      ctx.key?.dispose();
      const { h, w } = poolGeometry(layer, x.shape.slice(1));
      return { y: pool(x, op, h, w), state }; // [N, C, Ho, Wo]
    },
    outShape: (layer, inShape) => {
      const { h, w } = poolGeometry(layer, inShape);
      return [inShape[0]!, h.out, w.out];
    },
  };
}

/** Max pooling over size×size windows, as PyTorch's MaxPool2d (no padding, floor mode). */
export const maxPool2d: LayerImpl<"maxPool2d"> = poolLayer("maxPool2d", "max");

/** Average pooling over size×size windows, as PyTorch's AvgPool2d (no padding, floor mode). */
export const avgPool2d: LayerImpl<"avgPool2d"> = poolLayer("avgPool2d", "mean");
