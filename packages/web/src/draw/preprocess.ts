import { type DecodedImage, imageToInput } from "@layerlab/data-core";
import type { ModelSpecInput } from "@layerlab/spec";

/*
 * The page's side of data-core's image preprocessing: drawings and uploaded
 * files become `DecodedImage`s, and `imageToInput` (the server's too) makes
 * the model's pixels from them.
 */

/** Largest upload decoded, in pixels (the server's limit too). */
const MAX_UPLOAD_PIXELS = 16_000_000;

/** A drawing (ink in [0, 1] per pixel, light on black, `size`×`size`) as a grey image of 0–255 values. */
export function drawingImage(ink: Float32Array, size: number): DecodedImage {
  return { width: size, height: size, channels: 1, pixels: ink.map((v) => v * 255) };
}

/**
 * Decodes an uploaded image file to its own pixels (RGBA, full size, no colour
 * management), as the server decodes the same file.
 */
export async function decodeUpload(file: Blob): Promise<DecodedImage> {
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  try {
    const { width, height } = bitmap;
    if (width * height > MAX_UPLOAD_PIXELS) {
      throw new Error(`the image is ${width}×${height}, more than 16 megapixels; send a smaller one`);
    }
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
    ctx.drawImage(bitmap, 0, 0);
    return { width, height, channels: 4, pixels: ctx.getImageData(0, 0, width, height).data };
  } finally {
    bitmap.close();
  }
}

/**
 * The model's `[C, H, W]` pixels in [0, 1] for an image: MNIST's framing for
 * digit models, area resampling otherwise (data-core's `imageToInput`).
 * Throws, saying why, when the model cannot take an image.
 */
export function modelInput(spec: ModelSpecInput, digits: boolean, image: DecodedImage): Float32Array {
  const shape = (spec.input?.shape ?? []) as number[];
  return imageToInput(image, { shape, digits });
}
