import { inkBox as coreInkBox, mnistStyle as coreMnistStyle } from "@layerlab/data-core";

/*
 * MNIST-style preprocessing of an uploaded drawing: the server's side of
 * data-core's `mnistStyle` (the page uses the same), on 0–255 rasters that
 * may be dark ink on white paper.
 */

export { centreOfMass, resizeArea } from "@layerlab/data-core";

/** A greyscale image, row-major, 0–255. */
export interface GreyImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Pixels above this (of 255) are ink. */
const INK_THRESHOLD = 32;

/** Inverts an image whose border is mostly light (dark ink on white paper), so ink is light on black. */
export function invertIfLightBackground(img: GreyImage): GreyImage {
  const { width: w, height: h, pixels } = img;
  let sum = 0;
  let n = 0;
  for (let x = 0; x < w; x++) {
    sum += pixels[x]! + pixels[(h - 1) * w + x]!;
    n += 2;
  }
  for (let y = 0; y < h; y++) {
    sum += pixels[y * w]! + pixels[y * w + w - 1]!;
    n += 2;
  }
  if (sum / n <= 127) return img;
  return { width: w, height: h, pixels: pixels.map((v) => 255 - v) };
}

/** The smallest box holding every ink pixel, or null for a blank image. */
export function inkBox(img: GreyImage, threshold = INK_THRESHOLD) {
  return coreInkBox(img, threshold);
}

/** Inverts a light-background drawing, then frames it as MNIST does (see data-core's `mnistStyle`), as 0–255 pixels. */
export function mnistStyle(input: GreyImage, size = 28, fit = 20): GreyImage {
  const framed = coreMnistStyle(invertIfLightBackground(input), { inkThreshold: INK_THRESHOLD, size, fit });
  return { width: size, height: size, pixels: Uint8Array.from(framed.pixels, (v) => Math.round(v)) };
}
