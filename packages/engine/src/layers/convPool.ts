import { defaultDevice, nn, type numpy as np } from "@jax-js/jax";
import { type Layer, type LayerOf, normalizeActivation } from "@layerlab/spec";
import { activate } from "./activation";
import { convGeometry } from "./conv2d";
import { currentConvImpl } from "./convImpl";
import { gatherConvPixels } from "./gatherConv";
import { im2colNhwc } from "./im2colConv";
import { poolGeometry } from "./pool2d";
import { maxOfRows, maxOfViews } from "./pooling";
import type { ArrayMap } from "./types";
import { materializedGradient } from "./windows";

/*
 * A conv2d followed by a non-overlapping max pool, computed as one block
 * whose pool reads the conv's result in the layout its products wrote it.
 * As separate layers, the conv transposed its result to [N, C, H, W] and the
 * pool read it through a second transpose into rows of k² window pixels,
 * and the backward pass did both again: strided copies of the largest
 * activations in the net. A relu runs after the pool: relu is
 * nondecreasing, so the pool of the relu is the relu of the pool, the
 * gradient included (routed to the window's first maximum, zero where that
 * maximum is not positive), and it touches k² times fewer elements.
 */

let enabled = true;

/** Turns the block off (`false`) or on again, for benchmarks; takes effect at the next trace. */
export function setConvPoolFusion(on: boolean): void {
  enabled = on;
}

/**
 * Whether layers `conv` and `pool` run as one block: on Wasm, where it was
 * measured (WebGPU's kernels differ; it keeps the layer-by-layer path).
 */
export function fusesConvPool(conv: Layer, pool: Layer | undefined): pool is LayerOf<"maxPool2d"> {
  if (!enabled || conv.kind !== "conv2d" || pool?.kind !== "maxPool2d") return false;
  if ((pool.stride ?? pool.size) !== pool.size) return false;
  return defaultDevice() === "wasm" && currentConvImpl().name === "im2col";
}

/**
 * `x` [N, C, H, W] → the pool's output [N, O, Hq, Wq]. `inputIsData`: `x`
 * needs no gradient, so the patches may come from a gather. Consumes
 * `params` and `x`.
 */
export function convPool(
  conv: LayerOf<"conv2d">,
  pool: LayerOf<"maxPool2d">,
  params: ArrayMap,
  x: np.Array,
  inputIsData: boolean,
): np.Array {
  const n = x.shape[0]!;
  const o = conv.filters;
  const geometry = convGeometry(conv, x.shape.slice(1));
  const { h, w } = poolGeometry(pool, [o, geometry.h.out, geometry.w.out]);
  const k = pool.size;
  const reluAfter = conv.activation !== undefined && normalizeActivation(conv.activation).fn === "relu";
  const act = (y: np.Array) => (reluAfter ? y : activate(y, conv.activation));
  let pooled: np.Array;
  if (inputIsData) {
    // Patches listed by pool window: the product is [N, O, Hq·Wq·k²], rows of k² contiguous.
    let y = gatherConvPixels(x, params.weight!, geometry, k);
    if (params.bias) y = y.add(params.bias.reshape([-1, 1])); // + [O, 1]
    pooled = maxOfRows(act(y).reshape([-1, k * k])).reshape([n, o, h.out, w.out]);
  } else {
    // Channels last as the products wrote them: each window pixel is a view contiguous along O.
    let y = im2colNhwc(x, params.weight!, geometry); // [N, Ho, Wo, O]
    if (params.bias) y = y.add(params.bias); // + [O]
    const windows = materializedGradient(act(y))
      .slice([], [0, k * h.out], [0, k * w.out])
      .reshape([n, h.out, k, w.out, k, o]);
    const views: np.Array[] = [];
    for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) views.push(windows.ref.slice([], [], dy, [], dx));
    windows.dispose();
    pooled = maxOfViews(views).transpose([0, 3, 1, 2]); // [N, Hq, Wq, O] → [N, O, Hq, Wq]
  }
  return reluAfter ? nn.relu(pooled) : pooled;
}
