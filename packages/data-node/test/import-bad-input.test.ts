import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { importDataset } from "../src/import";
import { claimUncompressedSize, patchBytes, solidImage, tempDir, writeZip, zipBuffer } from "./fixtures";

let dir: string;
let png: Buffer;
let png2: Buffer;
beforeAll(async () => {
  dir = await tempDir();
  png = await solidImage("png", 28, 28, 50);
  png2 = await solidImage("png", 28, 28, 150);
});

/** A valid two-class folder set with split folders, plus `extra` entries. */
async function splitZip(name: string, extra: Record<string, Buffer | string> = {}) {
  return writeZip(dir, name, {
    "train/a/1.png": png,
    "train/a/2.png": png2,
    "train/b/1.png": png2,
    "test/a/1.png": await solidImage("png", 28, 28, 60),
    "test/b/1.png": await solidImage("png", 28, 28, 160),
    ...extra,
  });
}

describe("importDataset refuses unsafe archives whole", () => {
  it("refuses path traversal (../) naming the entry", async () => {
    const zip = await zipBuffer({ "a/1.png": png, "b/1.png": png2, "xx/evil.png": png });
    const path = join(dir, "traversal.zip");
    await writeFile(path, patchBytes(zip, "xx/evil", "../evil"));
    await expect(importDataset(path)).rejects.toThrow(
      /\.\.\/evil\.png.*(refused|invalid relative path)|refused.*\.\.\/evil/,
    );
  });

  it("refuses absolute paths", async () => {
    const zip = await zipBuffer({ "a/1.png": png, "b/1.png": png2, "Xetc/pw.png": png });
    const path = join(dir, "absolute.zip");
    await writeFile(path, patchBytes(zip, "Xetc/pw", "/etc/pw"));
    await expect(importDataset(path)).rejects.toThrow(/absolute path/);
  });

  it("refuses symbolic links", async () => {
    const path = await writeZip(dir, "link.zip", {
      "a/1.png": png,
      "b/1.png": png2,
      "a/2.png": { data: "/etc/passwd", mode: 0o120777 },
    });
    await expect(importDataset(path)).rejects.toThrow(/a\/2\.png" is a symbolic link/);
  });

  it("enforces archive size, entry count, total uncompressed bytes and per-file size", async () => {
    const path = await splitZip("limits.zip");
    await expect(importDataset(path, { limits: { maxArchiveBytes: 100 } })).rejects.toThrow(/maxArchiveBytes/);
    await expect(importDataset(path, { limits: { maxEntries: 3 } })).rejects.toThrow(/more than 3 files/);
    await expect(importDataset(path, { limits: { maxTotalBytes: 200 } })).rejects.toThrow(/maxTotalBytes/);
    // A zip bomb in miniature: 10 MB of zeros compress to a few KB.
    const bomb = await splitZip("bomb.zip", { "train/a/bomb.png": Buffer.alloc(10_000_000) });
    await expect(importDataset(bomb, { limits: { maxTotalBytes: 5_000_000 } })).rejects.toThrow(/maxTotalBytes/);
    await expect(importDataset(bomb, { limits: { maxFileBytes: 1_000_000 } })).rejects.toThrow(
      /bomb\.png.*maxFileBytes/,
    );
  });

  it("applies the per-file limit to every entry, even one the manifest layout would leave unread", async () => {
    const manifestZip = await zipBuffer({
      "train/a.png": png,
      "train/b.png": png2,
      "train/huge.bin": "unlabelled, so the manifest layout never reads it",
      "test/a.png": png,
      "test/b.png": png2,
      "train.json": JSON.stringify({ "a.png": "x", "b.png": "y" }),
      "test.json": JSON.stringify({ "a.png": "x", "b.png": "y" }),
    });
    const honest = join(dir, "manifest-honest.zip");
    await writeFile(honest, manifestZip);
    expect((await importDataset(honest)).report.skipped).toContainEqual({
      file: "train/huge.bin",
      reason: "no label in train.json",
    });
    // The central directory now claims 3 GiB for that entry: under the 4 GiB total, over the 64 MiB per file.
    const forged = join(dir, "manifest-3gib.zip");
    await writeFile(forged, claimUncompressedSize(manifestZip, "train/huge.bin", 3 * 1024 ** 3));
    await expect(importDataset(forged)).rejects.toThrow(/"train\/huge\.bin" is 3221225472 bytes.*maxFileBytes/);
  });

  it("skips (or fails on) images over the pixel limit", async () => {
    const path = await splitZip("big.zip", { "train/a/huge.png": await solidImage("png", 300, 300, 1) });
    const { report } = await importDataset(path, { limits: { maxImagePixels: 50_000 } });
    expect(report.skipped).toContainEqual({
      file: "train/a/huge.png",
      reason: expect.stringMatching(/300×300.*maxImagePixels/),
    });
    await expect(importDataset(path, { limits: { maxImagePixels: 50_000 }, onCorrupt: "fail" })).rejects.toThrow(
      /huge\.png/,
    );
  });
});

describe("importDataset reports bad files", () => {
  it("detects non-images by content and reports corrupt images by name", async () => {
    const truncated = png.subarray(0, 60);
    const path = await splitZip("bad-files.zip", {
      "train/a/notes.png": "this is text, not a PNG",
      "train/b/broken.png": truncated,
      "train/b/photo.txt": png, // a real PNG whatever its name says
      ".DS_Store": "x",
    });
    const { dataset, report } = await importDataset(path);
    expect(report.skipped).toContainEqual({ file: "train/a/notes.png", reason: expect.stringMatching(/not an image/) });
    expect(report.skipped).toContainEqual({ file: "train/b/broken.png", reason: expect.stringMatching(/corrupt PNG/) });
    expect(report.skipped).toContainEqual({ file: ".DS_Store", reason: "hidden or system file" });
    expect(report.counts.train).toEqual({ a: 2, b: 2 });
    expect(dataset.train.count).toBe(4);
    await expect(importDataset(path, { onCorrupt: "fail" })).rejects.toThrow(/train\/b\/broken\.png: corrupt PNG/);
  });

  it("reports manifest entries without files and files without labels; rejects a broken manifest", async () => {
    const base = {
      "train/a.png": png,
      "train/b.png": png2,
      "train/stray.png": png,
      "test/a.png": png,
      "test/b.png": png2,
      "test.json": JSON.stringify({ "a.png": "x", "b.png": "y" }),
    };
    const path = await writeZip(dir, "manifest-gaps.zip", {
      ...base,
      "train.json": JSON.stringify({ "a.png": "x", "b.png": "y", "gone.png": "x" }),
    });
    const { report } = await importDataset(path);
    expect(report.skipped).toContainEqual({
      file: "train/gone.png",
      reason: "listed in train.json but missing from the dataset",
    });
    expect(report.skipped).toContainEqual({ file: "train/stray.png", reason: "no label in train.json" });
    const broken = await writeZip(dir, "manifest-broken.zip", { ...base, "train.json": "{not json" });
    await expect(importDataset(broken)).rejects.toThrow(/train\.json is not valid JSON/);
  });

  it("needs at least 2 classes, and test images for every class", async () => {
    const one = await writeZip(dir, "one-class.zip", { "only/1.png": png, "only/2.png": png2, "only/3.png": png });
    await expect(importDataset(one)).rejects.toThrow(/1 class \("only"\).*at least 2/);
    const noTest = await writeZip(dir, "no-test.zip", {
      "train/a/1.png": png,
      "train/b/1.png": png2,
      "test/a/1.png": png2,
    });
    await expect(importDataset(noTest)).rejects.toThrow(/class "b" has no test images/);
  });

  it("warns when the same image is in train and test", async () => {
    const path = await splitZip("dupes.zip", { "test/a/copy.png": png });
    const { report } = await importDataset(path);
    expect(
      report.warnings.some((w) =>
        /1 test image\(s\) also appear in train.*test\/a\/copy\.png = train\/a\/1\.png/.test(w),
      ),
    ).toBe(true);
  });

  it("names a missing path and a non-ZIP file", async () => {
    await expect(importDataset(join(dir, "nope.zip"))).rejects.toThrow(/does not exist/);
    const notZip = join(dir, "fake.zip");
    await writeFile(notZip, "hello");
    await expect(importDataset(notZip)).rejects.toThrow(/not a readable ZIP/);
  });
});
