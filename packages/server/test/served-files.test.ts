import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readDatasetFile } from "@layerlab/data-node";
import { afterAll, describe, expect, it } from "vitest";
import { servedDatasetFile, servedTestFile } from "../src/datasets/served-files";
import type { Registry } from "../src/db/registry";

const dataDir = mkdtempSync(join(tmpdir(), "layerlab-served-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("a built-in dataset's served files", () => {
  it("are written once when a page asks for the dataset and its test split at the same moment", async () => {
    // Built-ins never consult the registry.
    const ctx = { dataDir, registry: {} as Registry };
    const asked = await Promise.all([
      servedDatasetFile(ctx, "shapes"),
      servedTestFile(ctx, "shapes"),
      servedDatasetFile(ctx, "shapes"),
      servedTestFile(ctx, "shapes"),
    ]);
    const [full, testOnly] = asked;
    expect(asked).toEqual([full, testOnly, full, testOnly]);
    const all = await readDatasetFile(full!);
    const part = await readDatasetFile(testOnly!);
    expect(part.train.count).toBe(0);
    expect(part.test.labels).toEqual(all.test.labels);
    // Nothing half-written is left beside them.
    expect(readdirSync(dirname(full!)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(readdirSync(dirname(testOnly!)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
