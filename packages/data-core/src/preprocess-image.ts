import { type GreyImage, type MnistStyleOptions, mnistPlacement, mnistStyle, resizeArea } from "./mnist-style";
import type { Normalization } from "./normalize";

/*
 * One image to one model input, the same on the page, on the server and in
 * the exports' documentation: a decoded image is brought to the model's
 * channels and size with area resampling (letterboxed on black, as datasets
 * are imported), framed as MNIST framed its digits when the model reads
 * digits, then standardised with the statistics of the run's own training set.
 */

/** A decoded image: row-major, interleaved 0–255 values; 2 and 4 channels carry alpha last. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  pixels: ArrayLike<number>;
}

/** What a model takes: its `[C, H, W]` input shape, and whether it reads digits framed as MNIST's. */
export interface ModelInputFormat {
  shape: readonly number[];
  digits: boolean;
}

/** Side of MNIST's canvas. */
export const MNIST_CANVAS = 28;
/** Side of the box MNIST's digits were fitted into. */
export const MNIST_DIGIT_BOX = 20;
/** Pixels above this (of 255) are ink when a digit is cropped. */
const DIGIT_INK_THRESHOLD = 32;

/** `[C, H, W]` of a model input shape: a 2-D shape is one channel, a 1-D one a single row of one channel. */
export function inputDims(shape: readonly number[]): { channels: number; height: number; width: number } {
  if (shape.length === 3) return { channels: shape[0]!, height: shape[1]!, width: shape[2]! };
  if (shape.length === 2) return { channels: 1, height: shape[0]!, width: shape[1]! };
  return { channels: 1, height: 1, width: shape[0] ?? 1 };
}

/**
 * The image's colour planes, 0–255, with transparency flattened onto white
 * paper (as dataset import does): one grey plane (Rec. 601 luma of colour) or
 * three RGB planes (grey repeated).
 */
export function imagePlanes(image: DecodedImage, channels: 1 | 3): Float32Array[] {
  const { width, height, channels: stride, pixels } = image;
  const n = width * height;
  if (pixels.length !== n * stride) {
    throw new Error(`the image holds ${pixels.length} values, not ${width}×${height}×${stride}`);
  }
  const colour = stride >= 3;
  const alpha = stride === 2 || stride === 4;
  const planes = Array.from({ length: colour ? 3 : 1 }, () => new Float32Array(n));
  for (let p = 0; p < n; p++) {
    const a = alpha ? pixels[p * stride + stride - 1]! / 255 : 1;
    for (let c = 0; c < planes.length; c++) planes[c]![p] = pixels[p * stride + c]! * a + 255 * (1 - a);
  }
  if (channels === 3) return colour ? planes : [planes[0]!, planes[0]!, planes[0]!];
  if (!colour) return planes;
  const [r, g, b] = planes as [Float32Array, Float32Array, Float32Array];
  return [r.map((v, p) => 0.299 * v + 0.587 * g[p]! + 0.114 * b[p]!)];
}

/** Where `fitArea` puts a `planeWidth`×`planeHeight` plane in `width`×`height`: its scaled size and top-left corner. */
export function fitPlacement(
  planeWidth: number,
  planeHeight: number,
  width: number,
  height: number,
): { w: number; h: number; left: number; top: number } {
  const scale = Math.min(width / planeWidth, height / planeHeight);
  const w = Math.min(width, Math.max(1, Math.round(planeWidth * scale)));
  const h = Math.min(height, Math.max(1, Math.round(planeHeight * scale)));
  return { w, h, left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2) };
}

/**
 * Resizes a plane to `width`×`height` with area averaging, keeping its aspect:
 * the image is scaled to fit and centred, the rest is black.
 */
export function fitArea(plane: GreyImage, width: number, height: number): Float32Array {
  const { w, h, left, top } = fitPlacement(plane.width, plane.height, width, height);
  const inner = resizeArea(plane, w, h).pixels;
  if (w === width && h === height) return inner;
  const out = new Float32Array(width * height);
  for (let y = 0; y < h; y++) out.set(inner.subarray(y * w, y * w + w), (top + y) * width + left);
  return out;
}

/** Inverts a plane whose border is mostly light (dark ink on white paper), so that ink is light on black. */
export function inkOnBlack(plane: GreyImage<Float32Array>): GreyImage<Float32Array> {
  const { width: w, height: h, pixels } = plane;
  let sum = 0;
  for (let x = 0; x < w; x++) sum += pixels[x]! + pixels[(h - 1) * w + x]!;
  for (let y = 0; y < h; y++) sum += pixels[y * w]! + pixels[y * w + w - 1]!;
  if (sum / (2 * (w + h)) <= 127.5) return plane;
  return { width: w, height: h, pixels: pixels.map((v) => 255 - v) };
}

/** A digit model's view of an image: one grey plane, light ink on black. */
function digitPlane(image: DecodedImage): GreyImage<Float32Array> {
  return inkOnBlack({ width: image.width, height: image.height, pixels: imagePlanes(image, 1)[0]! });
}

/** MNIST's framing scaled to a `side`×`side` input. */
function digitStyle(side: number): MnistStyleOptions {
  return { inkThreshold: DIGIT_INK_THRESHOLD, size: side, fit: Math.round((side * MNIST_DIGIT_BOX) / MNIST_CANVAS) };
}

/**
 * An image as the model's `[C, H, W]` pixels in [0, 1], not yet normalised:
 * for a digit model, light ink on black cropped to the ink, fitted into
 * 20/28 of the side and centred by mass (MNIST's own framing); otherwise the
 * whole image fitted with area resampling.
 */
export function imageToInput(image: DecodedImage, format: ModelInputFormat): Float32Array {
  const { channels, height, width } = inputDims(format.shape);
  if (format.shape.length < 2 || (channels !== 1 && channels !== 3)) {
    throw new Error(`an image cannot be this model's input [${format.shape.join(", ")}]: it takes [1 or 3, H, W]`);
  }
  const out = new Float32Array(channels * height * width);
  const plane = height * width;
  if (format.digits) {
    const side = Math.min(width, height);
    const framed = mnistStyle(digitPlane(image), digitStyle(side));
    const fitted = fitArea(framed, width, height);
    for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) out[c * plane + p] = fitted[p]! / 255;
    return out;
  }
  imagePlanes(image, channels as 1 | 3).forEach((pixels, c) => {
    const fitted = fitArea({ width: image.width, height: image.height, pixels }, width, height);
    for (let p = 0; p < plane; p++) out[c * plane + p] = fitted[p]! / 255;
  });
  return out;
}

/**
 * Where the pixels of `imageToInput(image, format)` lie in `image`, as an
 * axis-aligned map: input point (u, v) (pixel edges at integers) comes from
 * image point (offsetX + u · scaleX, offsetY + v · scaleY). Saliency maps are
 * laid over the image with it. Null for a digit model and an image without ink.
 */
export interface InputFrame {
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

/** The frame of `imageToInput(image, format)` (see `InputFrame`). */
export function inputFrame(image: DecodedImage, format: ModelInputFormat): InputFrame | null {
  const { height, width } = inputDims(format.shape);
  if (!format.digits) {
    const fit = fitPlacement(image.width, image.height, width, height);
    const scaleX = image.width / fit.w;
    const scaleY = image.height / fit.h;
    return { scaleX, scaleY, offsetX: -fit.left * scaleX, offsetY: -fit.top * scaleY };
  }
  // Two steps: the image's ink box → the side×side digit frame (mnistStyle), that frame → the input (fitArea).
  const side = Math.min(width, height);
  const placed = mnistPlacement(digitPlane(image), digitStyle(side));
  if (!placed) return null;
  const fit = fitPlacement(side, side, width, height);
  const inkX = placed.box.width / placed.digit.width;
  const inkY = placed.box.height / placed.digit.height;
  const frameX = side / fit.w;
  const frameY = side / fit.h;
  return {
    scaleX: frameX * inkX,
    scaleY: frameY * inkY,
    offsetX: placed.box.x - (fit.left * frameX + placed.left) * inkX,
    offsetY: placed.box.y - (fit.top * frameY + placed.top) * inkY,
  };
}

/** How to record the statistics a model's input is standardised with. */
const RECORD_STATS =
  'record the training set\'s per-channel statistics with the model (normalization.json: {"mean": [...], "std": [...]})';

/**
 * What is wrong with `value` as the statistics of a model whose input is
 * `shape` (one finite mean and one positive std per channel, or one of each
 * for every channel), or null when it fits.
 */
export function normalizationProblem(value: unknown, shape: readonly number[]): string | null {
  const { channels } = inputDims(shape);
  const n = value as Partial<Normalization> | null;
  const fits = (xs: unknown): xs is number[] =>
    Array.isArray(xs) &&
    (xs.length === channels || xs.length === 1) &&
    xs.every((x) => typeof x === "number" && Number.isFinite(x));
  if (typeof n !== "object" || n === null || !fits(n.mean) || !fits(n.std) || n.std.some((s) => s <= 0)) {
    return `it must be {"mean": [...], "std": [...]} with ${channels === 1 ? "one" : `${channels} (one per channel) or one`} finite mean and positive std`;
  }
  return null;
}

/**
 * Standardises `[C, H, W]` pixels in [0, 1] per channel with the run's own
 * training statistics: `(x - mean[c]) / std[c]` (a single mean/std stands for
 * every channel). Throws, naming the fix, when the statistics are missing or
 * do not fit: mean 0, std 1 would answer with confidently wrong probabilities.
 */
export function normalizeInput(
  pixels: Float32Array,
  shape: readonly number[],
  normalization: Normalization | null | undefined,
): Float32Array {
  const problem = normalizationProblem(normalization, shape);
  if (problem) throw new Error(`no usable normalisation statistics for this model: ${problem}; ${RECORD_STATS}`);
  const { mean, std } = normalization!;
  const { channels, height, width } = inputDims(shape);
  const plane = height * width;
  if (pixels.length !== channels * plane) {
    throw new Error(`the input holds ${pixels.length} values, the model takes ${channels}×${height}×${width}`);
  }
  const x = new Float32Array(pixels.length);
  for (let c = 0; c < channels; c++) {
    const m = mean.length === 1 ? mean[0]! : mean[c]!;
    const s = std.length === 1 ? std[0]! : std[c]!;
    for (let p = c * plane; p < (c + 1) * plane; p++) x[p] = (pixels[p]! - m) / s;
  }
  return x;
}

/** A decoded image as the normalised `[C, H, W]` input of a model: `imageToInput`, then `normalizeInput`. */
export function preprocessImage(
  image: DecodedImage,
  format: ModelInputFormat,
  normalization: Normalization | null | undefined,
): Float32Array {
  return normalizeInput(imageToInput(image, format), format.shape, normalization);
}
