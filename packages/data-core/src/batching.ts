import { type AugmentationSettings, augmentBatch, isIdentityAugmentation } from "./augment";
import { type ImageSet, imageSize } from "./dataset";
import type { Normalization } from "./normalize";
import { deriveSeed, permutation } from "./rng";

/** One batch ready for the engine: normalised float pixels `[n, C, H, W]` and class indices. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  size: number;
}

/**
 * Gathers the images at `indices` into a float batch, normalised per channel.
 * Writes into `out` when given (reused across steps to spare the allocator).
 */
export function gatherBatch(
  set: ImageSet,
  shape: readonly number[],
  indices: ArrayLike<number>,
  norm: Normalization,
  out?: Batch,
): Batch {
  const size = imageSize(shape);
  const [channels = 1] = shape;
  const plane = size / channels;
  const n = indices.length;
  const x = out && out.x.length === n * size ? out.x : new Float32Array(n * size);
  const y = out && out.y.length === n ? out.y : new Int32Array(n);
  const scale = norm.std.map((s) => 1 / (255 * s));
  const shift = norm.mean.map((m, c) => m / norm.std[c]!);
  for (let k = 0; k < n; k++) {
    const i = indices[k]!;
    const src = i * size;
    const dst = k * size;
    for (let c = 0; c < channels; c++) {
      const a = scale[c]!;
      const b = shift[c]!;
      const off = c * plane;
      for (let p = 0; p < plane; p++) x[dst + off + p] = set.images[src + off + p]! * a - b;
    }
    y[k] = set.labels[i]!;
  }
  return { x, y, size: n };
}

/** Options of `epochBatches`. */
export interface EpochBatchOptions {
  batchSize: number;
  seed: number;
  /** Counted from 0; each epoch gets its own shuffle of the same seed. */
  epoch: number;
  shuffle?: boolean;
  /** Drop a last partial batch (keeps one compiled step shape while training). */
  dropLast?: boolean;
}

/**
 * Splits `indices` (a subset of a set, e.g. the training part after the
 * validation split) into the index lists of one epoch's batches, seeded.
 */
export function epochBatches(indices: ArrayLike<number>, opts: EpochBatchOptions): Uint32Array[] {
  const n = indices.length;
  const order = opts.shuffle === false ? null : permutation(n, deriveSeed(opts.seed, 1, opts.epoch));
  const out: Uint32Array[] = [];
  for (let start = 0; start < n; start += opts.batchSize) {
    const end = Math.min(start + opts.batchSize, n);
    if (opts.dropLast && end - start < opts.batchSize) break;
    const batch = new Uint32Array(end - start);
    for (let k = start; k < end; k++) batch[k - start] = indices[order ? order[k]! : k]!;
    out.push(batch);
  }
  return out;
}

/**
 * A seeded, stratified split of a set's indices into training and validation
 * parts: each class contributes `fraction` of its images to validation.
 */
export function validationSplit(
  set: ImageSet,
  fraction: number,
  seed: number,
): { train: Uint32Array; val: Uint32Array } {
  const nVal = (count: number) => Math.round(count * fraction);
  return splitEachClass(set, seed, (k, count) => k < nVal(count));
}

/**
 * Splits every class apart: its samples in the seeded shuffle of that class, the k-th of `count` going to
 * validation when `toVal(k, count)` says so. Returns both sides sorted, so batches read the set in order.
 */
function splitEachClass(
  set: ImageSet,
  seed: number,
  toVal: (k: number, count: number) => boolean,
): { train: Uint32Array; val: Uint32Array } {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < set.count; i++) {
    const label = set.labels[i]!;
    const list = byClass.get(label) ?? [];
    list.push(i);
    byClass.set(label, list);
  }
  const train: number[] = [];
  const val: number[] = [];
  for (const [label, list] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const order = permutation(list.length, deriveSeed(seed, 2, label));
    order.forEach((o, k) => {
      (toVal(k, list.length) ? val : train).push(list[o]!);
    });
  }
  const sorted = (a: number[]) => Uint32Array.from(a.sort((p, q) => p - q));
  return { train: sorted(train), val: sorted(val) };
}

/**
 * Fold `fold` of `folds` as the validation set, the rest for training: each class's samples are shuffled
 * with the seed (the same shuffle `validationSplit` uses) and cut into `folds` nearly equal parts, so the
 * folds are stratified, disjoint, and together cover every sample once.
 */
export function foldSplit(
  set: ImageSet,
  folds: number,
  fold: number,
  seed: number,
): { train: Uint32Array; val: Uint32Array } {
  if (!Number.isInteger(folds) || folds < 2 || !Number.isInteger(fold) || fold < 0 || fold >= folds) {
    throw new Error(`foldSplit: fold ${fold} of ${folds} does not exist; folds ≥ 2 and 0 ≤ fold < folds`);
  }
  return splitEachClass(set, seed, (k, count) => Math.floor((k * folds) / count) === fold);
}

/** The normalised value of a black pixel per channel: what augmentation fills uncovered pixels with. */
export function blackFill(norm: Normalization): number[] {
  return norm.mean.map((m, c) => -m / norm.std[c]!);
}

/** Options of `trainingBatches`: the epoch's batching plus optional augmentation. */
export interface TrainingBatchOptions extends EpochBatchOptions {
  augmentation?: AugmentationSettings;
  /** False for sets whose classes change when mirrored (digits); the flip setting is then ignored. */
  allowsHorizontalFlip?: boolean;
}

/**
 * One epoch of ready batches (gathered, normalised, augmented under (seed, epoch, batch index)).
 * Alternates between two reused buffers, so a batch stays valid while the next one is prepared;
 * copy it if it must live longer than one further step.
 */
export function* trainingBatches(
  set: ImageSet,
  shape: readonly number[],
  indices: ArrayLike<number>,
  norm: Normalization,
  opts: TrainingBatchOptions,
): Generator<Batch> {
  const buffers: (Batch | undefined)[] = [undefined, undefined];
  const fill = blackFill(norm);
  const augment = !isIdentityAugmentation(opts.augmentation);
  const batches = epochBatches(indices, opts);
  for (let b = 0; b < batches.length; b++) {
    const batch = gatherBatch(set, shape, batches[b]!, norm, buffers[b % 2]);
    buffers[b % 2] = batch;
    if (augment) {
      const key = { seed: opts.seed, epoch: opts.epoch, batchIndex: b };
      augmentBatch(batch, shape, opts.augmentation!, key, fill, opts.allowsHorizontalFlip !== false);
    }
    yield batch;
  }
}
