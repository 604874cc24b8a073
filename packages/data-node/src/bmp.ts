/** A decoded BMP as interleaved RGB bytes. */
export interface RawRgb {
  width: number;
  height: number;
  data: Buffer;
}

/**
 * Decodes uncompressed Windows BMP (8-bit paletted, 24- and 32-bit), which libvips cannot read.
 * Other variants (RLE, bit fields) throw an error that names the variant.
 */
export function decodeBmp(bytes: Uint8Array, maxPixels: number): RawRgb {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 54) throw new Error("BMP is truncated inside its header");
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bits = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw new Error(`BMP has a bad size ${width}×${rawHeight}`);
  if (width * height > maxPixels) throw new Error(`BMP ${width}×${height} is over the ${maxPixels}-pixel limit`);
  if (compression !== 0 || ![8, 24, 32].includes(bits)) {
    throw new Error(`BMP variant not supported (${bits} bits, compression ${compression}); save it as PNG`);
  }
  const stride = Math.ceil((width * bits) / 32) * 4;
  if (dataOffset + stride * height > bytes.length) throw new Error("BMP is truncated inside its pixel data");
  const paletteAt = 14 + headerSize;
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    // Positive heights are stored bottom-up.
    const row = dataOffset + (rawHeight > 0 ? height - 1 - y : y) * stride;
    for (let x = 0; x < width; x++) {
      let b: number;
      let g: number;
      let r: number;
      if (bits === 8) {
        const p = paletteAt + bytes[row + x]! * 4;
        [b, g, r] = [bytes[p] ?? 0, bytes[p + 1] ?? 0, bytes[p + 2] ?? 0];
      } else {
        const p = row + x * (bits / 8);
        [b, g, r] = [bytes[p]!, bytes[p + 1]!, bytes[p + 2]!];
      }
      const o = (y * width + x) * 3;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
  }
  return { width, height, data: out };
}
