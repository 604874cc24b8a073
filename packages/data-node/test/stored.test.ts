import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeDataset, encodeDataset, generateShapes } from "@layerlab/data-core";
import { describe, expect, it } from "vitest";
import { loadSavedDataset, readDatasetFile, saveDataset, savedDatasetPath } from "../src/stored";
import { tempDir } from "./fixtures";

describe("saved datasets", () => {
  it("round-trips every field through a file under the data dir, with no temp file left", async () => {
    const dataDir = await tempDir();
    const d = generateShapes({ countPerClass: 10, color: true, size: 12 });
    const path = await saveDataset(dataDir, "my-shapes", d);
    expect(path).toBe(join(dataDir, "datasets", "my-shapes.lldata"));
    const back = await loadSavedDataset(dataDir, "my-shapes");
    expect(back).toEqual({ ...d, shape: [...d.shape], classes: [...d.classes] });
    expect(await readdir(join(dataDir, "datasets"))).toEqual(["my-shapes.lldata"]);
    const bytes = (await readFile(path)).length;
    expect(bytes).toBeLessThan(d.train.images.length + d.test.images.length + 1000); // compact: raw bytes + header
  });

  it("refuses a truncated file and a foreign one, naming the file", async () => {
    const dataDir = await tempDir();
    const parts = encodeDataset(generateShapes({ countPerClass: 4 }));
    const whole = Buffer.concat(parts);
    expect(() => decodeDataset(whole.subarray(0, whole.length - 1), "x.lldata")).toThrow(/x\.lldata is truncated/);
    const foreign = join(dataDir, "foreign.lldata");
    await writeFile(foreign, "PK\u0003\u0004 not ours");
    await expect(readDatasetFile(foreign)).rejects.toThrow(/foreign\.lldata is not a LayerLab dataset file/);
  });

  it("refuses ids that could leave the datasets folder", () => {
    expect(() => savedDatasetPath("/data", "../etc")).toThrow(/dataset id/);
    expect(() => savedDatasetPath("/data", "a/b")).toThrow(/dataset id/);
  });
});
