import { crc32 } from "./zip";

/*
 * A minimal ZIP reader for the archives torch.save writes: stored
 * (uncompressed) entries, found through the central directory, with ZIP64
 * sizes and offsets where an archive uses them. Every entry's CRC is checked.
 * Format: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3)
 */

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const ZIP64_EXTRA_ID = 0x0001;
const U32_MAX = 0xffffffff;

/** Why an archive could not be read; the message names the problem. */
export class ZipReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipReadError";
  }
}

function u64(view: DataView, at: number): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipReadError("a ZIP64 size or offset is too large");
  return Number(value);
}

/** The end-of-central-directory record: where the directory starts and how many entries it has. */
function centralDirectory(view: DataView): { offset: number; count: number } {
  const lowest = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let at = view.byteLength - 22; at >= lowest; at--) {
    if (view.getUint32(at, true) !== END_OF_CENTRAL_DIRECTORY) continue;
    let count = view.getUint16(at + 10, true);
    let offset = view.getUint32(at + 16, true);
    if ((offset === U32_MAX || count === 0xffff) && at >= 20 && view.getUint32(at - 20, true) === ZIP64_END_LOCATOR) {
      const end64 = u64(view, at - 20 + 8);
      if (end64 + 56 > view.byteLength || view.getUint32(end64, true) !== ZIP64_END) {
        throw new ZipReadError("its ZIP64 end record is missing or damaged");
      }
      count = u64(view, end64 + 32);
      offset = u64(view, end64 + 48);
    }
    return { offset, count };
  }
  throw new ZipReadError("it is not a ZIP archive (no end-of-central-directory record)");
}

/** Sizes and offset from an entry's ZIP64 extra field, for the fields its header marks as 0xFFFFFFFF. */
function zip64Fields(view: DataView, start: number, length: number, want: { size: boolean; offset: boolean }) {
  const out: { size?: number; offset?: number } = {};
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      let field = at + 4;
      if (want.size) {
        out.size = u64(view, field); // uncompressed size
        field += 16; // and the compressed size, equal for stored entries
      }
      if (want.offset) out.offset = u64(view, field);
      return out;
    }
    at += 4 + size;
  }
  return out;
}

/**
 * The entries of a ZIP archive by name, as views into `bytes`. Throws
 * ZipReadError when the archive is damaged or an entry is compressed.
 */
export function readZip(bytes: Uint8Array): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 22) throw new ZipReadError("it is too short to be a ZIP archive");
  const { offset, count } = centralDirectory(view);
  const decoder = new TextDecoder();
  const entries = new Map<string, Uint8Array>();
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.byteLength || view.getUint32(at, true) !== CENTRAL_HEADER) {
      throw new ZipReadError(`its central directory is damaged at entry ${i}`);
    }
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    let size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localOffset = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (size === U32_MAX || localOffset === U32_MAX) {
      const wide = zip64Fields(view, at + 46 + nameLength, extraLength, {
        size: size === U32_MAX,
        offset: localOffset === U32_MAX,
      });
      size = wide.size ?? size;
      localOffset = wide.offset ?? localOffset;
    }
    if (method !== 0) {
      throw new ZipReadError(`entry ${name} is compressed (method ${method}); torch.save stores entries uncompressed`);
    }
    if (localOffset + 30 > bytes.byteLength || view.getUint32(localOffset, true) !== LOCAL_HEADER) {
      throw new ZipReadError(`entry ${name}'s local header is missing`);
    }
    const dataStart =
      localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + size > bytes.byteLength) throw new ZipReadError(`entry ${name} runs past the end of the archive`);
    const data = bytes.subarray(dataStart, dataStart + size);
    if (crc32(data) !== crc) throw new ZipReadError(`entry ${name} fails its CRC check (the file is damaged)`);
    entries.set(name, data);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
