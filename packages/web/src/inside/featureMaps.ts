import type { Inspection } from "../train/protocol";

/** One conv layer's output channels for one input, and its learned filters. */
export interface FeatureMapLayer {
  layer: number;
  /** `[channels, height, width]` of the layer's output. */
  shape: [number, number, number];
  /** One `height × width` image per channel. */
  channels: Float32Array[];
  /** One `kh × kw` image per output channel: the filter averaged over its input channels. */
  filters: Float32Array[];
  filterSize: [number, number];
}

/** Every conv layer's channel images and filters from an inspection; empty for a net without convolutions. */
export function featureMaps(inspection: Inspection): FeatureMapLayer[] {
  const out: FeatureMapLayer[] = [];
  for (const l of inspection.layers) {
    if (l.kind !== "conv2d" || l.shape.length !== 3) continue;
    const [c, h, w] = l.shape as [number, number, number];
    const plane = h * w;
    const channels = Array.from({ length: c }, (_, k) => l.data.subarray(k * plane, (k + 1) * plane));
    const weight = inspection.weights[l.layer];
    let filters: Float32Array[] = [];
    let filterSize: [number, number] = [0, 0];
    if (weight && weight.shape.length === 4) {
      const [o, i, kh, kw] = weight.shape as [number, number, number, number];
      filterSize = [kh, kw];
      const size = kh * kw;
      filters = Array.from({ length: o }, (_, f) => {
        const img = new Float32Array(size);
        for (let ci = 0; ci < i; ci++) {
          const base = (f * i + ci) * size;
          for (let p = 0; p < size; p++) img[p]! += weight.data[base + p]! / i;
        }
        return img;
      });
    }
    out.push({ layer: l.layer, shape: [c, h, w], channels, filters, filterSize });
  }
  return out;
}

/**
 * Paints a single-channel image into RGBA pixels. Non-negative images (after
 * ReLU) go black → white by their maximum; signed ones (filters) blue ← grey → orange.
 */
export function toRgba(values: Float32Array): Uint8ClampedArray<ArrayBuffer> {
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const rgba = new Uint8ClampedArray(values.length * 4);
  const signed = min < 0;
  const scale = Math.max(max, -min) || 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]! / scale;
    let r: number;
    let g: number;
    let b: number;
    if (!signed) r = g = b = v * 255;
    else if (v >= 0) [r, g, b] = [128 + 127 * v, 128 + 0 * v, 128 - 100 * v];
    else [r, g, b] = [128 + 90 * v, 128 - 10 * v, 128 - 127 * v];
    rgba.set([r, g, b, 255], i * 4);
  }
  return rgba;
}
