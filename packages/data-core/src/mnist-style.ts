/*
 * MNIST's own preprocessing, for drawn digits (LeCun et al., "The MNIST
 * database": "centered in a 28x28 image by computing the center of mass"):
 * the ink's bounding box scaled so its longer side is 20 px (aspect kept,
 * area-averaged), placed in 28×28 with its centre of mass at the centre. One
 * implementation for the page (ink in [0, 1]) and the server (0–255 rasters):
 * pixel values keep the scale they come in.
 */

/** A greyscale image, row-major, light ink on black, in any pixel scale. */
export interface GreyImage<P extends ArrayLike<number> = ArrayLike<number>> {
  width: number;
  height: number;
  pixels: P;
}

/** The smallest box holding every pixel above `threshold`, or null for a blank image. */
export function inkBox(
  img: GreyImage,
  threshold: number,
): { x: number; y: number; width: number; height: number } | null {
  let x0 = img.width;
  let y0 = img.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.pixels[y * img.width + x]! > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * Area-averaging resize of the `box` of `img` (default all of it) to
 * `width`×`height`: each output pixel is the mean of the input area it covers.
 */
export function resizeArea(
  img: GreyImage,
  width: number,
  height: number,
  box = { x: 0, y: 0, width: img.width, height: img.height },
): GreyImage<Float32Array> {
  const out = new Float32Array(width * height);
  const sx = box.width / width;
  const sy = box.height / height;
  for (let oy = 0; oy < height; oy++) {
    const ya = box.y + oy * sy;
    const yb = ya + sy;
    for (let ox = 0; ox < width; ox++) {
      const xa = box.x + ox * sx;
      const xb = xa + sx;
      let acc = 0;
      // Clamped to the box: rounding may put the last edge a hair past it.
      for (let y = Math.floor(ya); y < Math.min(Math.ceil(yb), box.y + box.height); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        for (let x = Math.floor(xa); x < Math.min(Math.ceil(xb), box.x + box.width); x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          acc += wx * wy * img.pixels[y * img.width + x]!;
        }
      }
      out[oy * width + ox] = acc / (sx * sy);
    }
  }
  return { width, height, pixels: out };
}

/** Centre of mass (x, y) of the pixel values; the geometric centre for a blank image. */
export function centreOfMass(img: GreyImage): { x: number; y: number } {
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const v = img.pixels[y * img.width + x]!;
      m += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  return m === 0 ? { x: img.width / 2, y: img.height / 2 } : { x: mx / m, y: my / m };
}

/** How `mnistStyle` frames a digit. */
export interface MnistStyleOptions {
  /** Pixels above this are ink (in the image's own scale). */
  inkThreshold: number;
  /** Side of the output canvas (MNIST: 28). */
  size?: number;
  /** Side of the box the digit's longer side is scaled to (MNIST: 20). */
  fit?: number;
}

/** Where `mnistStyle` puts a digit: the ink's box in the input, the digit scaled from it, and its top-left corner in the output. */
export interface MnistPlacement {
  box: { x: number; y: number; width: number; height: number };
  digit: GreyImage<Float32Array>;
  left: number;
  top: number;
}

/** The placement `mnistStyle` uses for `input` (saliency maps map the output back with it); null for a blank image. */
export function mnistPlacement(input: GreyImage, opts: MnistStyleOptions): MnistPlacement | null {
  const { size = 28, fit = 20 } = opts;
  const box = inkBox(input, opts.inkThreshold);
  if (!box) return null;
  const scale = fit / Math.max(box.width, box.height);
  const w = Math.max(1, Math.round(box.width * scale));
  const h = Math.max(1, Math.round(box.height * scale));
  const digit = resizeArea(input, w, h, box);
  const com = centreOfMass(digit);
  return { box, digit, left: Math.round(size / 2 - com.x), top: Math.round(size / 2 - com.y) };
}

/**
 * Brings a drawn digit (light ink on black) to MNIST's form: crop to the
 * ink, fit the longer side into `fit` px, and paste into a `size`×`size`
 * black canvas with the centre of mass at the centre. A blank image gives a
 * blank canvas.
 */
export function mnistStyle(input: GreyImage, opts: MnistStyleOptions): GreyImage<Float32Array> {
  const { size = 28 } = opts;
  const canvas = new Float32Array(size * size);
  const placed = mnistPlacement(input, opts);
  if (!placed) return { width: size, height: size, pixels: canvas };
  const { digit, left, top } = placed;
  const { width: w, height: h } = digit;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cx = x + left;
      const cy = y + top;
      if (cx >= 0 && cx < size && cy >= 0 && cy < size) canvas[cy * size + cx] = digit.pixels[y * w + x]!;
    }
  }
  return { width: size, height: size, pixels: canvas };
}

/** Whether drawings for a model trained on dataset `id` are framed as MNIST digits (else plainly resized). */
export function framesDrawingsAsDigits(id: string): boolean {
  return id === "mnist";
}
