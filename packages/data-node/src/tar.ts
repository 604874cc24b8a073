/** One regular file of a tar archive. */
export interface TarFile {
  name: string;
  data: Uint8Array;
}

function field(block: Uint8Array, start: number, length: number): string {
  const bytes = block.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** The regular files of an (uncompressed, ustar or old-style) tar archive. */
export function readTar(buf: Uint8Array, source = "tar archive"): TarFile[] {
  const files: TarFile[] = [];
  let offset = 0;
  while (offset + 512 <= buf.length) {
    const header = buf.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const name = field(header, 0, 100);
    const prefix = field(header, 345, 155);
    const size = Number.parseInt(field(header, 124, 12).trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) throw new Error(`${source}: bad size field in the header of "${name}"`);
    const type = String.fromCharCode(header[156] ?? 0);
    const start = offset + 512;
    if (start + size > buf.length) throw new Error(`${source} is truncated inside "${name}"`);
    if (type === "0" || type === "\0") {
      files.push({ name: prefix ? `${prefix}/${name}` : name, data: buf.subarray(start, start + size) });
    }
    offset = start + Math.ceil(size / 512) * 512;
  }
  return files;
}
