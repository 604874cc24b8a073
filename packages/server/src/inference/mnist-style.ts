/**
 * MNIST's own preprocessing, for drawn digits (LeCun et al., "The MNIST
 * database"): light ink on black, the ink's bounding box scaled so its longer
 * side is 20 px (aspect kept), placed in 28×28 with its centre of mass at the
 * centre. Works on a greyscale raster, row-major, 0–255.
 */

/** A greyscale image, row-major. */
export interface GreyImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Inverts an image whose border is mostly light (dark ink on white paper), so ink is light on black. */
export function invertIfLightBackground(img: GreyImage): GreyImage {
  const { width: w, height: h, pixels } = img;
  let sum = 0;
  let n = 0;
  for (let x = 0; x < w; x++) {
    sum += pixels[x]! + pixels[(h - 1) * w + x]!;
    n += 2;
  }
  for (let y = 0; y < h; y++) {
    sum += pixels[y * w]! + pixels[y * w + w - 1]!;
    n += 2;
  }
  if (sum / n <= 127) return img;
  return { width: w, height: h, pixels: pixels.map((v) => 255 - v) };
}

/** The smallest box holding every pixel above `threshold`, or null for a blank image. */
export function inkBox(img: GreyImage, threshold = 32): { x: number; y: number; width: number; height: number } | null {
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

/** Area-averaging resize (each output pixel is the mean of the input area it covers). */
export function resizeArea(img: GreyImage, width: number, height: number): GreyImage {
  const out = new Uint8Array(width * height);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let oy = 0; oy < height; oy++) {
    const ya = oy * sy;
    const yb = ya + sy;
    for (let ox = 0; ox < width; ox++) {
      const xa = ox * sx;
      const xb = xa + sx;
      let acc = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          acc += wx * wy * img.pixels[y * img.width + x]!;
        }
      }
      out[oy * width + ox] = Math.round(acc / (sx * sy));
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

/**
 * Brings a drawn digit to MNIST's form: invert when the background is light,
 * crop to the ink, fit the longer side into `fit` px (20), and paste into a
 * `size`×`size` (28) black canvas with the centre of mass at the centre.
 */
export function mnistStyle(input: GreyImage, size = 28, fit = 20): GreyImage {
  const img = invertIfLightBackground(input);
  const box = inkBox(img);
  const canvas = new Uint8Array(size * size);
  if (!box) return { width: size, height: size, pixels: canvas };
  const crop = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    crop.set(
      img.pixels.subarray((box.y + y) * img.width + box.x, (box.y + y) * img.width + box.x + box.width),
      y * box.width,
    );
  }
  const scale = fit / Math.max(box.width, box.height);
  const w = Math.max(1, Math.round(box.width * scale));
  const h = Math.max(1, Math.round(box.height * scale));
  const digit = resizeArea({ width: box.width, height: box.height, pixels: crop }, w, h);
  const com = centreOfMass(digit);
  const left = Math.round(size / 2 - com.x);
  const top = Math.round(size / 2 - com.y);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cx = x + left;
      const cy = y + top;
      if (cx >= 0 && cx < size && cy >= 0 && cy < size) canvas[cy * size + cx] = digit.pixels[y * w + x]!;
    }
  }
  return { width: size, height: size, pixels: canvas };
}
