import type { LayerOf, Shape } from "@layerlab/spec";
import { activate } from "./activation";
import { type ConvGeometry, currentConvImpl } from "./convImpl";
import { gatherConv2d } from "./gatherConv";
import { axisWindow, requireImage, requireWindowFits } from "./geometry";
import { initWeightAndBias, requireParam } from "./init";
import type { LayerImpl } from "./types";

/** The spatial geometry of a conv2d layer on an input `[C, H, W]`, 'same' as TensorFlow pads it. */
export function convGeometry(layer: LayerOf<"conv2d">, inShape: Shape): ConvGeometry {
  const [, height, width] = requireImage("conv2d", inShape);
  const h = axisWindow(height, layer.kernel, layer.stride, layer.padding);
  const w = axisWindow(width, layer.kernel, layer.stride, layer.padding);
  requireWindowFits("conv2d", inShape, h, w);
  return { stride: layer.stride, h, w };
}

/**
 * 2-D convolution as PyTorch's Conv2d (`weight` [out, in, kh, kw], `bias`
 * [out]) followed by its fused activation. The arithmetic is delegated to the
 * backend's `ConvImpl`.
 */
export const conv2d: LayerImpl<"conv2d"> = {
  kind: "conv2d",
  init: (layer, inShape, key) => {
    const [channels] = requireImage("conv2d", inShape);
    const fanIn = channels * layer.kernel * layer.kernel;
    const weightShape = [layer.filters, channels, layer.kernel, layer.kernel];
    return { params: initWeightAndBias(key, weightShape, fanIn, layer.bias), state: {} };
  },
  apply: (layer, { params, state }, x, ctx) => {
    ctx.key?.dispose();
    const geometry = convGeometry(layer, x.shape.slice(1));
    const weight = requireParam(params, "weight", "conv2d");
    const impl = currentConvImpl();
    let y =
      ctx.inputIsData && impl.name === "im2col"
        ? gatherConv2d(x, weight, geometry) // [N, O, Ho, Wo]
        : impl.conv2d(x, weight, geometry); // [N, O, Ho, Wo]
    if (params.bias) y = y.add(params.bias.reshape([-1, 1, 1])); // + [O, 1, 1]
    return { y: activate(y, layer.activation), state };
  },
  outShape: (layer, inShape) => {
    const { h, w } = convGeometry(layer, inShape);
    return [layer.filters, h.out, w.out];
  },
};
