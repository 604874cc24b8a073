import sharp, { type Sharp } from "sharp";
import { decodeBmp } from "./bmp";
import { sniffImageFormat } from "./sniff";

/** A sharp pipeline on the image's first frame; BMP goes through our decoder as raw RGB. */
function open(bytes: Uint8Array, maxPixels: number, failOn?: "error"): Sharp {
  if (sniffImageFormat(bytes) === "bmp") {
    const { width, height, data } = decodeBmp(bytes, maxPixels);
    return sharp(data, { raw: { width, height, channels: 3 } });
  }
  // Headers are read without the pixel limit so that an oversized image is reported as such, not as corrupt.
  return sharp(bytes, { limitInputPixels: failOn ? maxPixels : false, pages: 1, ...(failOn && { failOn }) });
}

/** How an image is fitted to the target size: letterboxed, cropped, or stretched. */
export type ResizeFit = "contain" | "cover" | "stretch";

/** The decoded form every image of a dataset is brought to. */
export interface DecodeTarget {
  width: number;
  height: number;
  channels: 1 | 3;
  fit: ResizeFit;
}

/** Size and colour of an encoded image, read from its header. */
export interface ImageInfo {
  width: number;
  height: number;
  greyscale: boolean;
}

const SHARP_FIT = { contain: "contain", cover: "cover", stretch: "fill" } as const;

/** Reads an image's header (first frame of an animation); throws when sharp cannot parse it. */
export async function imageInfo(bytes: Uint8Array, maxPixels: number): Promise<ImageInfo> {
  const meta = await open(bytes, maxPixels).metadata();
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  const greyscale = meta.space === "b-w" || meta.channels === 1 || (meta.channels === 2 && !!meta.hasAlpha);
  return { width, height, greyscale };
}

/**
 * Decodes an image (first frame of a GIF) into `[C, H, W]` bytes of the target: EXIF orientation
 * applied, transparency flattened onto white, resized with the chosen fit (letterbox black).
 */
export async function decodeImage(bytes: Uint8Array, target: DecodeTarget, maxPixels: number): Promise<Uint8Array> {
  let pipeline = open(bytes, maxPixels, "error")
    .rotate()
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .resize(target.width, target.height, { fit: SHARP_FIT[target.fit], background: { r: 0, g: 0, b: 0 } });
  pipeline = target.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace("srgb");
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const plane = target.width * target.height;
  if (info.width !== target.width || info.height !== target.height) {
    throw new Error(`decoder returned ${info.width}×${info.height}, expected ${target.width}×${target.height}`);
  }
  const out = new Uint8Array(plane * target.channels);
  const stride = info.channels;
  // sharp gives interleaved HWC; the dataset is planar CHW. A grey target keeps channel 0.
  for (let c = 0; c < target.channels; c++) {
    const src = Math.min(c, stride - 1);
    for (let p = 0; p < plane; p++) out[c * plane + p] = data[p * stride + src]!;
  }
  return out;
}
