import { defaultDevice, type numpy as np } from "@jax-js/jax";
import type { Backend } from "@layerlab/spec";
import type { AxisWindow } from "./geometry";
import { im2colConv } from "./im2colConv";
import { laxConv } from "./laxConv";

/** Geometry of one 2-D convolution: square stride, per-axis padding and output size. */
export interface ConvGeometry {
  stride: number;
  h: AxisWindow;
  w: AxisWindow;
}

/** One way to compute a 2-D convolution (cross-correlation, as PyTorch's Conv2d). */
export interface ConvImpl {
  name: string;
  /** `x` [N, C, H, W], `weight` [O, C, kh, kw] → [N, O, Ho, Wo]. Consumes both. */
  conv2d(x: np.Array, weight: np.Array, geometry: ConvGeometry): np.Array;
}

/** All convolution implementations by name, for benchmarks and overrides. */
export const CONV_IMPLS = { im2col: im2colConv, lax: laxConv } as const satisfies Record<string, ConvImpl>;

// Measured on Wasm (bench/conv-micro.ts): im2col + one matmul trains the
// MNIST CNN ~30× faster than lax.conv, whose Wasm kernel (and its transposes
// in the backward pass) is a plain loop nest. WebGPU/WebGL are not measured
// yet; im2col rides on their tuned matmul kernels, so it is the default there too.
const BY_BACKEND: Record<Backend, ConvImpl> = {
  wasm: im2colConv,
  cpu: im2colConv,
  webgpu: im2colConv,
  webgl: im2colConv,
};

let override: ConvImpl | null = null;

/**
 * Forces one convolution implementation for every backend (`null` restores
 * the per-backend choice). Takes effect at the next trace: functions already
 * jit-compiled keep the implementation they were traced with.
 */
export function setConvImpl(impl: ConvImpl | null): void {
  override = impl;
}

/** The convolution implementation for the current default device. */
export function currentConvImpl(): ConvImpl {
  return override ?? BY_BACKEND[defaultDevice() as Backend] ?? im2colConv;
}
