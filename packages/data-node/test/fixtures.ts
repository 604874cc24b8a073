import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import yazl from "yazl";

/** A fresh temporary folder for one test. */
export function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "layerlab-data-"));
}

/** A solid greyscale or RGB image, encoded by sharp in the given format. */
export async function solidImage(
  format: "png" | "jpeg" | "webp" | "gif" | "tiff",
  width: number,
  height: number,
  value: number | [number, number, number],
): Promise<Buffer> {
  const channels = typeof value === "number" ? 1 : 3;
  const raw = Buffer.alloc(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    if (typeof value === "number") raw[p] = value;
    else raw.set(value, p * 3);
  }
  const img = sharp(raw, { raw: { width, height, channels } });
  // sharp writes RGB unless told the output is single-channel.
  return (channels === 1 ? img.toColourspace("b-w") : img).toFormat(format).toBuffer();
}

/** A 24-bit bottom-up BMP of one colour, written by hand (sharp cannot write BMP). */
export function solidBmp(width: number, height: number, rgb: [number, number, number]): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const buf = Buffer.alloc(54 + stride * height);
  buf.write("BM", 0, "latin1");
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) buf.set([rgb[2], rgb[1], rgb[0]], 54 + y * stride + x * 3);
  }
  return buf;
}

/** Files of a ZIP: name → bytes, with an optional Unix mode (e.g. a symlink's 0o120777). */
export type ZipFiles = Record<string, Buffer | string | { data: Buffer | string; mode: number }>;

/** Builds a ZIP in memory with yazl (deflated entries). */
export async function zipBuffer(files: ZipFiles): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) {
    const { data, mode } =
      typeof content === "object" && "mode" in content ? content : { data: content, mode: 0o100644 };
    zip.addBuffer(Buffer.from(data), name, { mode });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes a ZIP of `files` into `dir` and returns its path. */
export async function writeZip(dir: string, name: string, files: ZipFiles): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, await zipBuffer(files));
  return path;
}

/** Replaces every occurrence of an ASCII string of the same length in a buffer (to forge entry names). */
export function patchBytes(buf: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error("patch must keep the length");
  const out = Buffer.from(buf);
  let at = out.indexOf(from, 0, "latin1");
  while (at >= 0) {
    out.write(to, at, "latin1");
    at = out.indexOf(from, at + 1, "latin1");
  }
  return out;
}

/**
 * Rewrites the uncompressed size that a ZIP's central directory claims for entry `name` (the listing an
 * unzipper trusts before it inflates anything), leaving the data as it is: a forged "huge" entry.
 */
export function claimUncompressedSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const CENTRAL_HEADER = 0x02014b50;
  for (let at = out.indexOf("PK\x01\x02", 0, "latin1"); at >= 0; at = out.indexOf("PK\x01\x02", at + 1, "latin1")) {
    if (out.readUInt32LE(at) !== CENTRAL_HEADER) continue;
    const nameLength = out.readUInt16LE(at + 28);
    if (out.toString("latin1", at + 46, at + 46 + nameLength) !== name) continue;
    out.writeUInt32LE(size, at + 24);
    return out;
  }
  throw new Error(`no central directory entry named ${name}`);
}
