import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { type Dataset, imageSize, type PreviewGridOptions, previewGrid, type RgbImage } from "@layerlab/data-core";
import sharp from "sharp";
import { writeFileAtomic } from "./atomic";

/** Encodes one `[C, H, W]` uint8 image (C = 1 or 3) as PNG. */
export async function encodePng(pixels: Uint8Array, shape: readonly [number, number, number]): Promise<Buffer> {
  const [channels, height, width] = shape;
  const plane = width * height;
  const hwc = Buffer.alloc(plane * channels);
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) hwc[p * channels + c] = pixels[c * plane + p]!;
  const image = sharp(hwc, { raw: { width, height, channels: channels as 1 | 3 } });
  // Without "b-w" sharp would write a one-channel image as RGB.
  return (channels === 1 ? image.toColourspace("b-w") : image).png().toBuffer();
}

/** Encodes an RGB image (e.g. a preview grid) as PNG. */
export async function encodeRgbPng(image: RgbImage): Promise<Buffer> {
  return sharp(Buffer.from(image.pixels), { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A PNG grid of samples, one row per class (see `previewGrid`). */
export async function previewGridPng(dataset: Dataset, opts: PreviewGridOptions = {}): Promise<Buffer> {
  return encodeRgbPng(previewGrid(dataset, opts));
}

/**
 * Writes a dataset as an ImageFolder tree of PNGs (`train/<class>/00000.png`, `test/<class>/…`), which
 * `importDataset` reads back. Built in a temporary folder and renamed into place, so `dir` appears whole.
 */
export async function writeDatasetFolder(dataset: Dataset, dir: string): Promise<void> {
  const temp = `${dir}.${process.pid}.${Date.now()}.tmp`;
  const size = imageSize(dataset.shape);
  try {
    for (const split of ["train", "test"] as const) {
      const set = dataset[split];
      for (const name of dataset.classes)
        await mkdir(join(temp, split, name.replace(/[/\\]/g, "_")), { recursive: true });
      for (let i = 0; i < set.count; i++) {
        const className = dataset.classes[set.labels[i]!]!.replace(/[/\\]/g, "_");
        const png = await encodePng(set.images.subarray(i * size, (i + 1) * size), dataset.shape);
        await writeFileAtomic(join(temp, split, className, `${String(i).padStart(5, "0")}.png`), [png]);
      }
    }
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}
