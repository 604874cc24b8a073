// The safetensors codec, importable without jax-js (the exporter and the page use it on their own).
/*
 * safetensors, the weights format LayerLab reads and writes: an 8-byte
 * little-endian header length, a JSON header naming each tensor's dtype, shape
 * and byte range, then the raw little-endian data.
 * Spec: https://github.com/huggingface/safetensors#format
 */

export type SafeDType = "F32" | "F64" | "I32" | "I64" | "U8";

/** A host-side tensor: its dtype, shape and data. I64 data is a BigInt64Array. */
export interface HostTensor {
  dtype: SafeDType;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
}

const BYTES: Record<SafeDType, number> = { F32: 4, F64: 8, I32: 4, I64: 8, U8: 1 };

/** Largest header we accept; real headers are a few kilobytes. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * Encodes tensors (written in sorted name order, header padded with spaces to
 * 8 bytes as the reference implementation does) so that encode∘decode is
 * byte-exact.
 */
export function encodeSafetensors(tensors: Record<string, HostTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new Error(`safetensors: tensor '${name}' has shape [${t.shape}] but ${t.data.length} values`);
    }
    const bytes = count * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  const padded = Math.ceil(raw.length / 8) * 8;
  json += " ".repeat(padded - raw.length);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors[name]!;
    // Typed arrays are little-endian on every platform jax-js runs on.
    const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(view, pos);
    pos += view.length;
  }
  return out;
}

/** Decodes a safetensors file; throws an error that names what is wrong with it. */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string>;
} {
  if (bytes.length < 8) throw new Error("not a safetensors file: shorter than its 8-byte header length");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) {
    throw new Error(`not a safetensors file: header length ${headerLength} exceeds the file size ${bytes.length}`);
  }
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new Error("not a safetensors file: its header is not valid JSON");
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  const tensors: Record<string, HostTensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const dtype = entry.dtype as SafeDType;
    if (!(dtype in BYTES)) throw new Error(`safetensors: tensor '${name}' has unsupported dtype ${entry.dtype}`);
    const [start, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (!(start <= end && end <= dataLength) || end - start !== count * BYTES[dtype]) {
      throw new Error(
        `safetensors: tensor '${name}' has byte range [${start}, ${end}) that does not fit its shape or the file`,
      );
    }
    // Copy so the tensor is aligned and independent of the file buffer (a Node
    // Buffer's own slice() shares memory, so copy through a fresh Uint8Array).
    const chunk = new Uint8Array(bytes.subarray(dataStart + start, dataStart + end)).buffer;
    const data =
      dtype === "F32"
        ? new Float32Array(chunk)
        : dtype === "F64"
          ? new Float64Array(chunk)
          : dtype === "I32"
            ? new Int32Array(chunk)
            : dtype === "I64"
              ? new BigInt64Array(chunk)
              : new Uint8Array(chunk);
    tensors[name] = { dtype, shape: entry.shape, data };
  }
  return { tensors, metadata };
}
