import type { NormalizationMode } from "@layerlab/spec";
import { type ImageSet, imageSize } from "./dataset";

/** Per-channel mean and standard deviation of pixel values scaled to [0, 1]. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** Smallest std recorded, so that a constant channel divides by something. */
const MIN_STD = 1e-6;

/**
 * The mean/std each channel is standardised with, by `mode` (default
 * "per-channel"): the channel's own statistics, one mean/std over all
 * channels repeated per channel ("global"), or mean 0 std 1 ("none": pixels/255
 * only). Statistics come from `set` (use the training split only), optionally
 * from `indices` only.
 */
export function computeNormalization(
  set: ImageSet,
  shape: readonly number[],
  indices?: ArrayLike<number>,
  mode: NormalizationMode = "per-channel",
): Normalization {
  const [channels = 1] = shape;
  if (mode === "none") return { mean: new Array(channels).fill(0), std: new Array(channels).fill(1) };
  const { sum, sumSq, count } = channelSums(set, shape, indices);
  if (mode === "global") {
    const total = (values: Float64Array) => values.reduce((a, b) => a + b, 0);
    const { mean, std } = meanStd(total(sum), total(sumSq), count * channels);
    return { mean: new Array(channels).fill(mean), std: new Array(channels).fill(std) };
  }
  const stats = Array.from(sum, (s, c) => meanStd(s, sumSq[c]!, count));
  return { mean: stats.map((s) => s.mean), std: stats.map((s) => s.std) };
}

/** Sums of raw byte values and of their squares per channel, and the number of pixels per channel. */
function channelSums(
  set: ImageSet,
  shape: readonly number[],
  indices: ArrayLike<number> | undefined,
): { sum: Float64Array; sumSq: Float64Array; count: number } {
  const [channels = 1] = shape;
  const size = imageSize(shape);
  const plane = size / channels;
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  const n = indices ? indices.length : set.count;
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k]! : k;
    const base = i * size;
    for (let c = 0; c < channels; c++) {
      let s = 0;
      let s2 = 0;
      const start = base + c * plane;
      for (let p = start; p < start + plane; p++) {
        const v = set.images[p]!;
        s += v;
        s2 += v * v;
      }
      sum[c]! += s;
      sumSq[c]! += s2;
    }
  }
  return { sum, sumSq, count: n * plane };
}

/** Mean and (population) std in [0, 1] units from byte sums over `count` pixels. */
function meanStd(sum: number, sumSq: number, count: number): { mean: number; std: number } {
  const n = Math.max(1, count);
  const mean = sum / n / 255;
  const variance = sumSq / n / (255 * 255) - mean ** 2;
  return { mean, std: Math.max(Math.sqrt(Math.max(variance, 0)), MIN_STD) };
}
