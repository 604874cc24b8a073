import { readFile } from "node:fs/promises";

/** A parsed IDX file (the format MNIST is published in): its dimensions and raw uint8 data. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Parses an IDX buffer of unsigned bytes; throws an error naming `source` when it is not one. */
export function parseIdx(buf: Uint8Array, source = "IDX data"): IdxArray {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new Error(`${source} is not an IDX file: it does not start with two zero bytes`);
  }
  if (buf[2] !== UBYTE) {
    throw new Error(`${source} holds IDX type 0x${buf[2]?.toString(16)}; only unsigned bytes (0x08) are supported`);
  }
  const rank = buf[3] ?? 0;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const header = 4 + 4 * rank;
  if (buf.length < header) throw new Error(`${source} is truncated inside its header`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== header + size) {
    throw new Error(
      `${source} should hold ${size} bytes after its header for dims ${dims.join("×")}, has ${buf.length - header}`,
    );
  }
  return { dims, data: buf.subarray(header) };
}

/** Reads and parses an IDX file from disk. */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(new Uint8Array(await readFile(path)), path);
}
