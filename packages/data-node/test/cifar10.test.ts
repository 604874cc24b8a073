import { createHash } from "node:crypto";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { cifar10Dir, loadCifar10, parseCifarBatches } from "../src/cifar10";
import { tempDir } from "./fixtures";

const RECORD = 3073;
const NAMES = [
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
  "test_batch.bin",
];

/** A batch in the published format: per record a label byte, then R, G, B planes of 32×32. */
function batch(count: number, firstLabel: number): Buffer {
  const buf = Buffer.alloc(count * RECORD);
  for (let i = 0; i < count; i++) {
    const label = (firstLabel + i) % 10;
    buf[i * RECORD] = label;
    buf.fill(label * 10, i * RECORD + 1, i * RECORD + 1 + 1024); // red plane
    buf.fill(100, i * RECORD + 1025, i * RECORD + 2049); // green plane
    buf[i * RECORD + 2049] = 7; // first blue pixel
  }
  return buf;
}

/** A minimal ustar archive of the given files (what `tar` writes, enough for our reader). */
function tar(files: Record<string, Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of Object.entries(files)) {
    const header = Buffer.alloc(512);
    header.write(name, 0, "utf8");
    header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124, "latin1");
    header.write("0", 156, "latin1");
    header.write("ustar\0", 257, "latin1");
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

describe("CIFAR-10 binary reader", () => {
  it("parses labels and planar RGB pixels", () => {
    const set = parseCifarBatches([{ data: batch(3, 4), source: "b" }]);
    expect(set.count).toBe(3);
    expect([...set.labels]).toEqual([4, 5, 6]);
    expect(set.images[3072 + 0]).toBe(50); // image 1, red
    expect(set.images[3072 + 1024]).toBe(100); // image 1, green
    expect(set.images[3072 + 2048]).toBe(7); // image 1, first blue
    expect(set.images[3072 + 2049]).toBe(0);
  });

  it("rejects a file of the wrong size or with a bad label", () => {
    expect(() => parseCifarBatches([{ data: new Uint8Array(100), source: "x.bin" }])).toThrow(
      /x\.bin is not a CIFAR-10 binary batch/,
    );
    const bad = batch(1, 0);
    bad[0] = 12;
    expect(() => parseCifarBatches([{ data: bad, source: "y.bin" }])).toThrow(/y\.bin: record 0 has label 12/);
  });

  it("loads from unpacked batch files in the cache folder", async () => {
    const dataDir = await tempDir();
    const dir = join(cifar10Dir(dataDir), "cifar-10-batches-bin");
    await mkdir(dir, { recursive: true });
    for (const [k, name] of NAMES.entries()) await writeFile(join(dir, name), batch(k === 5 ? 4 : 2, k));
    const d = await loadCifar10({ dataDir, url: "http://127.0.0.1:9/never-fetched" });
    expect(d.shape).toEqual([3, 32, 32]);
    expect(d.train.count).toBe(10);
    expect(d.test.count).toBe(4);
    expect(d.classes[0]).toBe("airplane");
  });

  it("unpacks a checked archive, and refuses one whose MD5 differs", async () => {
    const dataDir = await tempDir();
    const files = Object.fromEntries(NAMES.map((n, k) => [`cifar-10-batches-bin/${n}`, batch(2, k)]));
    const archive = gzipSync(tar({ ...files, "cifar-10-batches-bin/readme.html": Buffer.from("hi") }));
    await mkdir(cifar10Dir(dataDir), { recursive: true });
    await writeFile(join(cifar10Dir(dataDir), "cifar-10-binary.tar.gz"), archive);
    await expect(loadCifar10({ dataDir })).rejects.toThrow(/has MD5 .*expected c32a1d4ab5d03f1284b67883e8d87530/);
    const md5 = createHash("md5").update(archive).digest("hex");
    const d = await loadCifar10({ dataDir, md5 });
    expect(d.train.count).toBe(10);
    expect(await readdir(join(cifar10Dir(dataDir), "cifar-10-batches-bin"))).toEqual([...NAMES].sort());
  });

  it("says where to put the files when it cannot download, and leaves nothing behind", async () => {
    const dataDir = await tempDir();
    const error = await loadCifar10({ dataDir, url: "http://127.0.0.1:9/cifar.tar.gz" }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/Cannot download CIFAR-10 from http:\/\/127\.0\.0\.1:9/);
    expect((error as Error).message).toContain(join(cifar10Dir(dataDir), "cifar-10-binary.tar.gz"));
    expect((error as Error).message).toContain(join(cifar10Dir(dataDir), "cifar-10-batches-bin", "data_batch_1.bin"));
    expect(await readdir(cifar10Dir(dataDir)).catch(() => [])).toEqual([]);
  });
});
