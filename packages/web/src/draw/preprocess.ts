import { mnistStyle } from "@layerlab/data-core";

/** Side of the MNIST canvas. */
export const MNIST_SIZE = 28;
/** Side of the box the digit is scaled into, as MNIST's authors did. */
export const MNIST_BOX = 20;

/** Drawn pixels above this (ink is 1) count as ink. */
const INK_THRESHOLD = 0.05;

/**
 * Turns a drawing (greyscale, ink = 1, `width·height` values in [0, 1]) into
 * an MNIST-like 28×28 image with data-core's `mnistStyle` (the server's too):
 * cropped to the ink, fitted into 20×20, centred by mass. Zeros for an empty drawing.
 */
export function preprocessMnist(ink: Float32Array, width: number, height: number): Float32Array {
  return mnistStyle({ width, height, pixels: ink }, { inkThreshold: INK_THRESHOLD, size: MNIST_SIZE, fit: MNIST_BOX })
    .pixels;
}

/** Resamples a drawing to `size×size` without MNIST's centring (for non-digit datasets such as the shapes). */
export function resizeInk(ink: Float32Array, width: number, height: number, size: number): Float32Array {
  const out = new Float32Array(size * size);
  for (let ty = 0; ty < size; ty++) {
    for (let tx = 0; tx < size; tx++) {
      let sum = 0;
      let n = 0;
      for (let sy = Math.floor((ty * height) / size); sy < Math.floor(((ty + 1) * height) / size); sy++) {
        for (let sx = Math.floor((tx * width) / size); sx < Math.floor(((tx + 1) * width) / size); sx++) {
          sum += ink[sy * width + sx]!;
          n++;
        }
      }
      out[ty * size + tx] = n > 0 ? sum / n : 0;
    }
  }
  return out;
}
