import type { InputFrame } from "@layerlab/data-core";

/*
 * How a saliency map is drawn: a "hot" colour ramp whose opacity grows with
 * the value (what barely counted stays see-through), laid over the image the
 * model was asked about.
 */

/** The ramp's stops: value, red, green, blue, opacity. The legend is drawn from the same stops. */
export const HEAT_STOPS: readonly (readonly [number, number, number, number, number])[] = [
  [0, 120, 0, 40, 0],
  [0.15, 150, 10, 50, 0.15],
  [0.4, 220, 40, 30, 0.5],
  [0.7, 255, 150, 0, 0.75],
  [1, 255, 250, 130, 0.92],
];

/** RGBA (0–255) of saliency `v` in [0, 1]. */
export function heatColour(v: number): [number, number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
  let i = 1;
  while (i < HEAT_STOPS.length - 1 && HEAT_STOPS[i]![0] < x) i++;
  const [x0, ...a] = HEAT_STOPS[i - 1]!;
  const [x1, ...b] = HEAT_STOPS[i]!;
  const t = (x - x0) / (x1 - x0);
  const mix = (k: number) => a[k]! + (b[k]! - a[k]!) * t;
  return [Math.round(mix(0)), Math.round(mix(1)), Math.round(mix(2)), Math.round(mix(3) * 255)];
}

/** A map's values (`[height · width]` in [0, 1]) as RGBA pixels. */
export function heatPixels(values: Float32Array): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(values.length * 4);
  for (let p = 0; p < values.length; p++) out.set(heatColour(values[p]!), p * 4);
  return out;
}

/** The ramp as a CSS gradient, for the legend. */
export function heatGradientCss(): string {
  const stops = HEAT_STOPS.map(([v, r, g, b, a]) => `rgba(${r}, ${g}, ${b}, ${Math.max(a, 0.08)}) ${v * 100}%`);
  return `linear-gradient(to right, ${stops.join(", ")})`;
}

/**
 * An input image (`[C, H, W]` values in [0, 1], C = 1 or 3) with the heat map
 * blended over it, as RGBA pixels: what the model saw and what it looked at, in one.
 */
export function blendOverInput(input: ArrayLike<number>, values: Float32Array): Uint8ClampedArray<ArrayBuffer> {
  const plane = values.length;
  const channels = Math.max(1, Math.round(input.length / plane));
  const out = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    const [hr, hg, hb, ha] = heatColour(values[p]!);
    const alpha = ha / 255;
    const heat = [hr, hg, hb];
    for (let k = 0; k < 3; k++) {
      const base = 255 * input[(channels === 3 ? k : 0) * plane + p]!;
      out[p * 4 + k] = base * (1 - alpha) + heat[k]! * alpha;
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** Where an image lies on a canvas: canvas point = (dx + x · scale, dy + y · scale). */
export interface ImagePlacement {
  scale: number;
  dx: number;
  dy: number;
}

/** The image drawn 1:1 at the canvas's origin (a drawing is its canvas). */
export const AS_DRAWN: ImagePlacement = { scale: 1, dx: 0, dy: 0 };

/** Where a map's pixel (u, v) lands on the canvas: (offsetX + u · scaleX, offsetY + v · scaleY). */
export interface MapPlacement {
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

/** Composes the model input's frame in the image with the image's placement on the canvas. */
export function placeOnCanvas(frame: InputFrame, image: ImagePlacement): MapPlacement {
  return {
    scaleX: frame.scaleX * image.scale,
    scaleY: frame.scaleY * image.scale,
    offsetX: image.dx + frame.offsetX * image.scale,
    offsetY: image.dy + frame.offsetY * image.scale,
  };
}
