import type { Shape } from "@layerlab/spec";

/** Padding of one spatial axis as `[before, after]`. */
export type AxisPadding = readonly [number, number];

/** Spatial geometry of one windowed op (conv or pool) on one axis. */
export interface AxisWindow {
  /** Input length before padding. */
  size: number;
  kernel: number;
  stride: number;
  padding: AxisPadding;
  /** Output length. */
  out: number;
}

/** Output length of a window sliding over `size` (+ padding) with `stride`, floor mode as PyTorch. */
export function slidingOut(size: number, kernel: number, stride: number, padTotal = 0): number {
  return Math.floor((size + padTotal - kernel) / stride) + 1;
}

/**
 * TensorFlow's 'same' padding: out = ceil(size / stride), the extra pixel of
 * an odd total going after (bottom/right).
 */
export function samePadding(size: number, kernel: number, stride: number): AxisPadding {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** The window geometry of one axis for 'valid' or 'same' padding. */
export function axisWindow(size: number, kernel: number, stride: number, padding: "valid" | "same"): AxisWindow {
  const pad: AxisPadding = padding === "same" ? samePadding(size, kernel, stride) : [0, 0];
  return { size, kernel, stride, padding: pad, out: slidingOut(size, kernel, stride, pad[0] + pad[1]) };
}

/** Formats a shape for error messages: `[1, 28, 28]`. */
export function showShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Throws a readable error unless `inShape` is an image shape `[C, H, W]`. */
export function requireImage(kind: string, inShape: Shape): [number, number, number] {
  if (inShape.length !== 3) {
    throw new Error(
      `${kind} needs an image input [C, H, W] but gets ${showShape(inShape)}; ` +
        "place it before any flatten/dense layer and give the model a [C, H, W] input shape",
    );
  }
  return inShape as unknown as [number, number, number];
}

/** Throws a readable error unless a window of `kernel` fits into the (padded) spatial size. */
export function requireWindowFits(kind: string, inShape: Shape, h: AxisWindow, w: AxisWindow): void {
  if (h.out < 1 || w.out < 1) {
    throw new Error(
      `${kind} with a ${h.kernel}×${w.kernel} window does not fit the input ${showShape(inShape)}; ` +
        "use a smaller kernel/size, 'same' padding, or fewer downsampling layers before it",
    );
  }
}
