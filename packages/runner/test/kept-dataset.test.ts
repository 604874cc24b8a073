import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateShapes } from "@layerlab/data-core";
import { saveDataset } from "@layerlab/data-node";
import { afterAll, describe, expect, it } from "vitest";
import { loadDatasetRefKeepingBuiltin } from "../src";

const dataDir = mkdtempSync(join(tmpdir(), "layerlab-kept-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("loadDatasetRefKeepingBuiltin", () => {
  it("hands the same built-in back for the same name and options, and loads again when they change", async () => {
    const small = { kind: "builtin", name: "shapes", shapes: { countPerClass: 30, seed: 1 } } as const;
    const first = await loadDatasetRefKeepingBuiltin(small, dataDir);
    expect(first.dataset.train.count + first.dataset.test.count).toBe(90);
    expect(await loadDatasetRefKeepingBuiltin(small, dataDir)).toBe(first);
    const other = await loadDatasetRefKeepingBuiltin({ ...small, shapes: { countPerClass: 30, seed: 2 } }, dataDir);
    expect(other).not.toBe(first);
    expect(other.dataset.train.images).not.toEqual(first.dataset.train.images);
    // Only the last one is kept.
    expect(await loadDatasetRefKeepingBuiltin(small, dataDir)).not.toBe(first);
  });

  it("reads a saved dataset anew each time", async () => {
    const id = "tiny";
    await saveDataset(dataDir, id, generateShapes({ countPerClass: 10, seed: 3 }));
    const ref = { kind: "saved", id } as const;
    const first = await loadDatasetRefKeepingBuiltin(ref, dataDir);
    const again = await loadDatasetRefKeepingBuiltin(ref, dataDir);
    expect(again).not.toBe(first);
    expect(again.dataset.train.images).toEqual(first.dataset.train.images);
  });
});
