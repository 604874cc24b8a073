/** Side of the MNIST canvas. */
export const MNIST_SIZE = 28;
/** Side of the box the digit is scaled into, as MNIST's authors did. */
export const MNIST_BOX = 20;

/**
 * Turns a drawing (greyscale, ink = 1, `width·height` values in [0, 1]) into
 * an MNIST-like 28×28 image: crop to the ink's bounding box, scale it to fit
 * 20×20 keeping the aspect ratio (area-averaged), then place it so the centre
 * of mass sits at the centre of the 28×28 frame. Returns zeros for an empty drawing.
 * See http://yann.lecun.com/exdb/mnist/ ("centered in a 28x28 image by computing the center of mass").
 */
export function preprocessMnist(ink: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(MNIST_SIZE * MNIST_SIZE);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > 0.05) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return out;
  const boxW = x1 - x0 + 1;
  const boxH = y1 - y0 + 1;
  const scale = MNIST_BOX / Math.max(boxW, boxH);
  const w = Math.max(1, Math.round(boxW * scale));
  const h = Math.max(1, Math.round(boxH * scale));
  // Area averaging: each target pixel is the mean of the source pixels it covers.
  const small = new Float32Array(w * h);
  for (let ty = 0; ty < h; ty++) {
    const sy0 = y0 + (ty * boxH) / h;
    const sy1 = y0 + ((ty + 1) * boxH) / h;
    for (let tx = 0; tx < w; tx++) {
      const sx0 = x0 + (tx * boxW) / w;
      const sx1 = x0 + ((tx + 1) * boxW) / w;
      let sum = 0;
      let area = 0;
      for (let sy = Math.floor(sy0); sy < Math.ceil(sy1); sy++) {
        const wy = Math.min(sy + 1, sy1) - Math.max(sy, sy0);
        for (let sx = Math.floor(sx0); sx < Math.ceil(sx1); sx++) {
          const wx = Math.min(sx + 1, sx1) - Math.max(sx, sx0);
          sum += ink[sy * width + sx]! * wx * wy;
          area += wx * wy;
        }
      }
      small[ty * w + tx] = area > 0 ? sum / area : 0;
    }
  }
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = small[y * w + x]!;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const offX = Math.round(MNIST_SIZE / 2 - mx / mass);
  const offY = Math.round(MNIST_SIZE / 2 - my / mass);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const tx = x + offX;
      const ty = y + offY;
      if (tx >= 0 && tx < MNIST_SIZE && ty >= 0 && ty < MNIST_SIZE) out[ty * MNIST_SIZE + tx] = small[y * w + x]!;
    }
  }
  return out;
}

/** Resamples a drawing to `size×size` without MNIST's centring (for non-digit datasets such as the shapes). */
export function resizeInk(ink: Float32Array, width: number, height: number, size: number): Float32Array {
  const out = new Float32Array(size * size);
  for (let ty = 0; ty < size; ty++) {
    for (let tx = 0; tx < size; tx++) {
      let sum = 0;
      let n = 0;
      for (let sy = Math.floor((ty * height) / size); sy < Math.floor(((ty + 1) * height) / size); sy++) {
        for (let sx = Math.floor((tx * width) / size); sx < Math.floor(((tx + 1) * width) / size); sx++) {
          sum += ink[sy * width + sx]!;
          n++;
        }
      }
      out[ty * size + tx] = n > 0 ? sum / n : 0;
    }
  }
  return out;
}
