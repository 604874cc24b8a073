/**
 * A labelled image set held as uint8, never as floats of the whole set.
 * Images are channels-first (`[C, H, W]`, as PyTorch), one after another.
 */
export interface ImageSet {
  /** `count · C · H · W` bytes. */
  images: Uint8Array;
  /** One class index per image. */
  labels: Uint8Array;
  count: number;
}

/** A dataset as the engine trains on it: a train split, a test split and what they mean. */
export interface Dataset {
  name: string;
  /** `[C, H, W]`. */
  shape: readonly [number, number, number];
  classes: readonly string[];
  train: ImageSet;
  test: ImageSet;
  /** Whether mirroring an image keeps its class (false for digits and letters). */
  allowsHorizontalFlip?: boolean;
  description?: string;
}

/** Bytes per image of a `[C, H, W]` shape. */
export function imageSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The first `n` images of a set, sharing its memory. */
export function takeFirst(set: ImageSet, n: number, shape: readonly number[]): ImageSet {
  const count = Math.min(n, set.count);
  const size = imageSize(shape);
  return { images: set.images.subarray(0, count * size), labels: set.labels.subarray(0, count), count };
}
