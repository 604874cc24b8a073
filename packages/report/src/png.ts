import sharp from "sharp";

/**
 * A `data:image/png` URL of one channels-first uint8 image (`[C, H, W]`, C 1
 * or 3), enlarged `scale` times without smoothing so small images stay crisp.
 */
export async function imageDataUrl(pixels: Uint8Array, shape: readonly number[], scale = 3): Promise<string> {
  const [channels, height, width] = shape as [number, number, number];
  const interleaved = new Uint8Array(height * width * channels); // [H, W, C]
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < height * width; i++) interleaved[i * channels + c] = pixels[c * height * width + i]!;
  }
  const png = await sharp(interleaved, { raw: { width, height, channels: channels as 1 | 3 } })
    .resize(width * scale, height * scale, { kernel: "nearest" })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString("base64")}`;
}
