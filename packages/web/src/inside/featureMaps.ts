import { layerLabel } from "@layerlab/spec";
import type { Inspection, LayerOutput } from "../train/protocol";

/** One layer's output channels for one input and, for a conv layer, its learned filters. */
export interface FeatureMapLayer {
  layer: number;
  kind: string;
  /** "conv2d #1 'stem'": the layer as the builder names it. */
  title: string;
  /** What the layer takes when that is not the layer before it, e.g. "adds batchNorm #5 and activation #3". */
  takes: string | null;
  /** `[channels, height, width]` of the layer's output. */
  shape: [number, number, number];
  /** One `height × width` image per channel. */
  channels: Float32Array[];
  /** One `kh × kw` image per output channel: the filter averaged over its input channels (conv layers only). */
  filters: Float32Array[];
  filterSize: [number, number];
}

/** A layer's name in the inside views: its label, and its id where it has one. */
function titleOf(l: LayerOutput): string {
  return l.id === undefined ? layerLabel(l.kind, l.layer) : `${layerLabel(l.kind, l.layer)} '${l.id}'`;
}

/** What a layer takes, in words, when that is not simply the layer before it (a merge, a branch). */
function takesOf(l: LayerOutput, byIndex: ReadonlyMap<number, LayerOutput>): string | null {
  const sources = l.sources ?? [l.layer - 1];
  if (sources.length === 1 && sources[0] === l.layer - 1) return null;
  const names = sources.map((s) => {
    const from = byIndex.get(s);
    return s < 0 || !from ? "the input" : titleOf(from);
  });
  const list = names.length > 2 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names.join(" and ");
  if (l.kind === "add") return `adds ${list}`;
  if (l.kind === "concat") return `joins the channels of ${list}`;
  return `takes ${list}`;
}

/**
 * The channel images of every layer whose output is an image (conv, pooling, batch norm, activations, and
 * the adds and concats of a graph), in the spec's order, with the filters of the conv layers; empty for a
 * net without image outputs.
 */
export function featureMaps(inspection: Inspection): FeatureMapLayer[] {
  const out: FeatureMapLayer[] = [];
  const byIndex = new Map(inspection.layers.map((l) => [l.layer, l]));
  for (const l of inspection.layers) {
    if (l.shape.length !== 3) continue;
    const [c, h, w] = l.shape as [number, number, number];
    const plane = h * w;
    const channels = Array.from({ length: c }, (_, k) => l.data.subarray(k * plane, (k + 1) * plane));
    const weight = l.kind === "conv2d" ? inspection.weights[l.layer] : undefined;
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
    out.push({
      layer: l.layer,
      kind: l.kind,
      title: titleOf(l),
      takes: takesOf(l, byIndex),
      shape: [c, h, w],
      channels,
      filters,
      filterSize,
    });
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
