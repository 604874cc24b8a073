import type { Augmentation } from "@layerlab/spec";
import type { Batch } from "./batching";
import { imageSize } from "./dataset";
import { createRng, deriveSeed } from "./rng";

/** The augmentation settings (the `Augmentation` schema of the training config, all fields optional). */
export type AugmentationSettings = Partial<Augmentation>;

/** Where one batch sits in a run: together with the seed they fix every random draw of its augmentation. */
export interface AugmentationKey {
  seed: number;
  epoch: number;
  batchIndex: number;
}

/** True when the settings change nothing, so callers can skip the pass entirely. */
export function isIdentityAugmentation(aug: AugmentationSettings | undefined): boolean {
  return !aug || (!aug.shift && !aug.rotation && !aug.zoom && !aug.horizontalFlip && !aug.cutout);
}

/** The random draws of one image: an inverse affine map (output → source pixel) and a cutout square. */
interface ImageDraw {
  // source = A · (output − centre) + centre + t
  a: number;
  b: number;
  c: number;
  d: number;
  tx: number;
  ty: number;
  cutX: number;
  cutY: number;
  cutSide: number;
}

function drawImage(rng: () => number, aug: AugmentationSettings, width: number, height: number): ImageDraw {
  const angle = (((rng() * 2 - 1) * (aug.rotation ?? 0)) / 180) * Math.PI;
  const scale = 1 + (rng() * 2 - 1) * (aug.zoom ?? 0);
  const flip = aug.horizontalFlip && rng() < 0.5 ? -1 : 1;
  const shift = aug.shift ?? 0;
  const tx = (rng() * 2 - 1) * shift * width;
  const ty = (rng() * 2 - 1) * shift * height;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const cutSide = Math.round((aug.cutout ?? 0) * Math.min(width, height));
  const cutX = Math.floor(rng() * width) - (cutSide >> 1);
  const cutY = Math.floor(rng() * height) - (cutSide >> 1);
  // Inverse of rotate·scale·flip: the flip acts on the output x axis first.
  return { a: cos * flip, b: sin, c: -sin * flip, d: cos, tx, ty, cutX, cutY, cutSide };
}

/**
 * Augments a normalised float batch in place, seeded by (seed, epoch, batch index) so a run replays
 * exactly: random shift, rotation and zoom as one bilinear affine resampling, a horizontal flip
 * (only when `allowsFlip`), then cutout. Pixels drawn from outside the image, and cutout squares,
 * take the channel's `fill` value (pass the normalised value of a black pixel, `-mean/std`).
 */
export function augmentBatch(
  batch: Batch,
  shape: readonly number[],
  aug: AugmentationSettings,
  key: AugmentationKey,
  fill: readonly number[],
  allowsFlip = true,
): Batch {
  if (isIdentityAugmentation(aug)) return batch;
  const settings = allowsFlip ? aug : { ...aug, horizontalFlip: false };
  const [channels = 1, height = 1, width = 1] = shape;
  const size = imageSize(shape);
  const plane = width * height;
  const scratch = new Float32Array(size);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const affine = !!(settings.shift || settings.rotation || settings.zoom || settings.horizontalFlip);
  for (let k = 0; k < batch.size; k++) {
    const rng = createRng(deriveSeed(key.seed, 3, key.epoch, key.batchIndex, k));
    const t = drawImage(rng, settings, width, height);
    const base = k * size;
    if (affine) {
      scratch.set(batch.x.subarray(base, base + size));
      for (let y = 0; y < height; y++) {
        const dy = y - cy;
        for (let x = 0; x < width; x++) {
          const dx = x - cx;
          const sx = t.a * dx + t.b * dy + cx - t.tx;
          const sy = t.c * dx + t.d * dy + cy - t.ty;
          const x0 = Math.floor(sx);
          const y0 = Math.floor(sy);
          const fx = sx - x0;
          const fy = sy - y0;
          const w00 = (1 - fx) * (1 - fy);
          const w01 = fx * (1 - fy);
          const w10 = (1 - fx) * fy;
          const w11 = fx * fy;
          const in00 = x0 >= 0 && x0 < width && y0 >= 0 && y0 < height;
          const in01 = x0 + 1 >= 0 && x0 + 1 < width && y0 >= 0 && y0 < height;
          const in10 = x0 >= 0 && x0 < width && y0 + 1 >= 0 && y0 + 1 < height;
          const in11 = x0 + 1 >= 0 && x0 + 1 < width && y0 + 1 >= 0 && y0 + 1 < height;
          const p = y0 * width + x0;
          for (let c = 0; c < channels; c++) {
            const off = c * plane;
            const f = fill[c] ?? 0;
            const v =
              w00 * (in00 ? scratch[off + p]! : f) +
              w01 * (in01 ? scratch[off + p + 1]! : f) +
              w10 * (in10 ? scratch[off + p + width]! : f) +
              w11 * (in11 ? scratch[off + p + width + 1]! : f);
            batch.x[base + off + y * width + x] = v;
          }
        }
      }
    }
    if (t.cutSide > 0) {
      const x0 = Math.max(0, t.cutX);
      const y0 = Math.max(0, t.cutY);
      const x1 = Math.min(width, t.cutX + t.cutSide);
      const y1 = Math.min(height, t.cutY + t.cutSide);
      for (let c = 0; c < channels; c++) {
        const f = fill[c] ?? 0;
        for (let y = y0; y < y1; y++)
          batch.x.fill(f, base + c * plane + y * width + x0, base + c * plane + y * width + x1);
      }
    }
  }
  return batch;
}
