import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { generateShapes } from "@layerlab/data-core";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { previewGridPng, writeDatasetFolder } from "../src/images-out";
import { importDataset } from "../src/import";
import { tempDir } from "./fixtures";

describe("writeDatasetFolder", () => {
  it("writes shapes as PNGs that import back to the same bytes", async () => {
    const dir = join(await tempDir(), "shapes");
    const d = generateShapes({ countPerClass: 5, seed: 2 });
    await writeDatasetFolder(d, dir);
    expect((await readdir(join(dir, "train"))).sort()).toEqual(["circle", "square", "triangle"]);
    expect((await readdir(join(dir, "test", "circle"))).length).toBe(1);
    const { dataset, report } = await importDataset(dir);
    expect(report.layout).toBe("folders-with-split");
    expect(dataset.shape).toEqual([1, 28, 28]);
    expect(dataset.classes).toEqual(["circle", "square", "triangle"]);
    // PNG is lossless and 28×28 greyscale is kept as is: same bytes per class.
    const byClass = (set: typeof d.train, classes: readonly string[]) =>
      Array.from(
        { length: set.count },
        (_, i) =>
          `${classes[set.labels[i]!]}:${Buffer.from(set.images.subarray(i * 784, (i + 1) * 784)).toString("hex")}`,
      ).sort();
    expect(byClass(dataset.train, dataset.classes)).toEqual(byClass(d.train, d.classes));
  });
});

describe("previewGridPng", () => {
  it("encodes one row per class", async () => {
    const d = generateShapes({ countPerClass: 10 });
    const png = await previewGridPng(d, { perClass: 4, gap: 2 });
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe("png");
    expect([meta.width, meta.height]).toEqual([4 * 28 + 5 * 2, 3 * 28 + 4 * 2]);
  });
});
