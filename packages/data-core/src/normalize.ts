import { type ImageSet, imageSize } from "./dataset";

/** Per-channel mean and standard deviation of pixel values scaled to [0, 1]. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** Computes per-channel mean/std over a set (use the training split only), optionally over `indices`. */
export function computeNormalization(
  set: ImageSet,
  shape: readonly number[],
  indices?: ArrayLike<number>,
): Normalization {
  const [channels = 1] = shape;
  const plane = imageSize(shape) / channels;
  const size = imageSize(shape);
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
  const count = Math.max(1, n * plane);
  const mean = Array.from(sum, (s) => s / count / 255);
  const std = Array.from(sumSq, (s2, c) => {
    const variance = s2 / count / (255 * 255) - mean[c]! ** 2;
    return Math.max(Math.sqrt(Math.max(variance, 0)), 1e-6);
  });
  return { mean, std };
}
