import { type Dataset, type ImageSet, imageSize } from "./dataset";
import { computeNormalization } from "./normalize";

/** What a set holds: images per class, per-channel mean/std (pixels in [0, 1]) and its mean image. */
export interface SetStatistics {
  count: number;
  classCounts: number[];
  mean: number[];
  std: number[];
  /** `[C, H, W]` mean of every image, rounded to bytes (drawable as an image). */
  meanImage: Uint8Array;
}

/** Statistics of one split of a dataset. */
export function setStatistics(set: ImageSet, shape: readonly number[], classCount: number): SetStatistics {
  const size = imageSize(shape);
  const classCounts = new Array<number>(classCount).fill(0);
  const sums = new Float64Array(size);
  for (let i = 0; i < set.count; i++) {
    const label = set.labels[i]!;
    if (label < classCount) classCounts[label]!++;
    const base = i * size;
    for (let p = 0; p < size; p++) sums[p]! += set.images[base + p]!;
  }
  const meanImage = Uint8Array.from(sums, (s) => Math.round(s / Math.max(1, set.count)));
  const { mean, std } = computeNormalization(set, shape);
  return { count: set.count, classCounts, mean, std, meanImage };
}

/** Statistics of both splits of a dataset. */
export function datasetStatistics(dataset: Dataset): { train: SetStatistics; test: SetStatistics } {
  return {
    train: setStatistics(dataset.train, dataset.shape, dataset.classes.length),
    test: setStatistics(dataset.test, dataset.shape, dataset.classes.length),
  };
}

/** An interleaved (HWC) RGB image in memory, ready for a PNG encoder or a canvas. */
export interface RgbImage {
  width: number;
  height: number;
  /** `height · width · 3` bytes. */
  pixels: Uint8Array;
}

/** Options of `previewGrid`. */
export interface PreviewGridOptions {
  /** Images per class (one row per class). Default 8. */
  perClass?: number;
  /** Pixels between cells. Default 2. */
  gap?: number;
  /** Which split to sample. Default "train". */
  split?: "train" | "test";
}

/**
 * A grid of the first `perClass` images of each class, one row per class, as RGB pixels.
 * Greyscale images are drawn grey; missing cells (a class with fewer images) stay dark.
 */
export function previewGrid(dataset: Dataset, opts: PreviewGridOptions = {}): RgbImage {
  const perClass = opts.perClass ?? 8;
  const gap = opts.gap ?? 2;
  const set = opts.split === "test" ? dataset.test : dataset.train;
  const [channels, h, w] = dataset.shape;
  const plane = h * w;
  const size = imageSize(dataset.shape);
  const rows = dataset.classes.length;
  const width = perClass * w + (perClass + 1) * gap;
  const height = rows * h + (rows + 1) * gap;
  const pixels = new Uint8Array(width * height * 3).fill(32);
  const filled = new Array<number>(rows).fill(0);
  for (let i = 0; i < set.count; i++) {
    const row = set.labels[i]!;
    if (row >= rows || filled[row]! >= perClass) continue;
    const col = filled[row]!++;
    const x0 = gap + col * (w + gap);
    const y0 = gap + row * (h + gap);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const dst = ((y0 + y) * width + x0 + x) * 3;
        for (let c = 0; c < 3; c++) {
          pixels[dst + c] = set.images[i * size + (channels === 3 ? c : 0) * plane + y * w + x]!;
        }
      }
    }
  }
  return { width, height, pixels };
}
