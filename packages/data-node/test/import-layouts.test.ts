import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importDataset } from "../src/import";
import { solidBmp, solidImage, tempDir, writeZip } from "./fixtures";

describe("importDataset: manifest layout (train/ test/ + train.json test.json)", () => {
  it("reads PNG and JPEG, keeps 28×28 greyscale, labels from the manifests", async () => {
    const dir = await tempDir();
    const zip = await writeZip(dir, "clothes.zip", {
      "train/a1.png": await solidImage("png", 28, 28, 10),
      "train/a2.jpg": await solidImage("jpeg", 28, 28, 20),
      "train/b1.png": await solidImage("png", 28, 28, 200),
      "train/b2.jpg": await solidImage("jpeg", 28, 28, 210),
      "test/a.png": await solidImage("png", 28, 28, 30),
      "test/b.png": await solidImage("png", 28, 28, 220),
      "train.json": JSON.stringify({ "a1.png": "dark", "a2.jpg": "dark", "b1.png": "light", "train/b2.jpg": "light" }),
      "test.json": JSON.stringify({ "a.png": "dark", "b.png": "light" }),
    });
    const { dataset, report } = await importDataset(zip);
    expect(report.layout).toBe("manifest");
    expect(dataset.name).toBe("clothes");
    expect(dataset.shape).toEqual([1, 28, 28]);
    expect(dataset.classes).toEqual(["dark", "light"]);
    expect(report.counts).toEqual({ train: { dark: 2, light: 2 }, test: { dark: 1, light: 1 } });
    // Sorted by path: a1.png, a2.jpg, b1.png, b2.jpg.
    expect([...dataset.train.labels]).toEqual([0, 0, 1, 1]);
    expect(dataset.train.images[0]).toBe(10);
    expect(Math.abs(dataset.train.images[784]! - 20)).toBeLessThanOrEqual(2); // JPEG is lossy
    expect(dataset.test.images[784]).toBe(220);
    expect(report.skipped).toEqual([]);
  });
});

describe("importDataset: class-per-folder layouts", () => {
  it("uses train/ + val/ as given and defaults colour images to 64×64 RGB", async () => {
    const dir = await tempDir();
    const files: Record<string, Buffer> = {};
    for (const [cls, rgb] of [
      ["cat", [255, 0, 0]],
      ["dog", [0, 0, 255]],
    ] as const) {
      files[`pets/train/${cls}/1.png`] = await solidImage("png", 40, 30, [...rgb]);
      files[`pets/train/${cls}/2.jpg`] = await solidImage("jpeg", 50, 50, [...rgb]);
      files[`pets/val/${cls}/1.webp`] = await solidImage("webp", 32, 32, [...rgb]);
    }
    files["pets/train/dog/3.gif"] = await solidImage("gif", 20, 20, [0, 0, 255]);
    files["pets/train/cat/4.tiff"] = await solidImage("tiff", 20, 20, [255, 0, 0]);
    files["pets/train/cat/5.bmp"] = solidBmp(10, 7, [255, 0, 0]);
    const { dataset, report } = await importDataset(await writeZip(dir, "pets.zip", files), { fit: "stretch" });
    expect(report.layout).toBe("folders-with-split");
    expect(dataset.shape).toEqual([3, 64, 64]);
    expect(report.counts).toEqual({ train: { cat: 4, dog: 3 }, test: { cat: 1, dog: 1 } });
    const plane = 64 * 64;
    // Every cat image is red, every dog image blue, planar RGB.
    for (let i = 0; i < dataset.train.count; i++) {
      const base = i * 3 * plane + 32 * 64 + 32;
      const [r, b] = [dataset.train.images[base]!, dataset.train.images[base + 2 * plane]!];
      if (dataset.train.labels[i] === 0) expect([r > 200, b < 50]).toEqual([true, true]);
      else expect([r < 50, b > 200]).toEqual([true, true]);
    }
  });

  it("splits a plain class-per-folder set, stratified and seeded, from a folder on disk", async () => {
    const dir = await tempDir();
    const root = join(dir, "digits");
    for (const cls of ["one", "two"]) {
      await mkdir(join(root, cls), { recursive: true });
      for (let i = 0; i < 10; i++)
        await writeFile(join(root, cls, `${i}.png`), await solidImage("png", 28, 28, i * 20));
    }
    const a = await importDataset(root, { testFraction: 0.3, seed: 1 });
    expect(a.report.layout).toBe("folders");
    expect(a.report.counts).toEqual({ train: { one: 7, two: 7 }, test: { one: 3, two: 3 } });
    const b = await importDataset(root, { testFraction: 0.3, seed: 1 });
    expect(b.dataset.test.images).toEqual(a.dataset.test.images);
    const c = await importDataset(root, { testFraction: 0.3, seed: 2 });
    expect(c.dataset.test.images).not.toEqual(a.dataset.test.images);
  });

  it("fits a wide image by contain (black bars), cover (crop) or stretch", async () => {
    const dir = await tempDir();
    const white = await solidImage("png", 40, 20, 255);
    const zip = await writeZip(dir, "wide.zip", {
      "a/1.png": white,
      "a/2.png": white,
      "b/1.png": await solidImage("png", 40, 20, 128),
      "b/2.png": await solidImage("png", 40, 20, 128),
    });
    const top = (fit: "contain" | "cover" | "stretch") =>
      importDataset(zip, { size: 20, channels: 1, fit }).then(({ dataset }) => {
        const i = [...dataset.train.labels].indexOf(0);
        return [dataset.train.images[i * 400 + 10]!, dataset.train.images[i * 400 + 200]!];
      });
    expect(await top("contain")).toEqual([0, 255]);
    expect(await top("cover")).toEqual([255, 255]);
    expect(await top("stretch")).toEqual([255, 255]);
  });
});
