import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Dataset, decodeDataset, encodeDataset } from "@layerlab/data-core";
import { writeFileAtomic } from "./atomic";

/** Writes a dataset to a file atomically (temp file + rename). */
export async function writeDatasetFile(path: string, dataset: Dataset): Promise<void> {
  await writeFileAtomic(path, encodeDataset(dataset));
}

/** Reads a dataset file written by `writeDatasetFile`. */
export async function readDatasetFile(path: string): Promise<Dataset> {
  return decodeDataset(new Uint8Array(await readFile(path)), path);
}

function checkId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) {
    throw new Error(
      `dataset id "${id}" may hold only letters, digits, ".", "_" and "-" (at most 128), and must start with a letter or digit`,
    );
  }
  return id;
}

/** Where `saveDataset` keeps a dataset: `<dataDir>/datasets/<id>.lldata`. */
export function savedDatasetPath(dataDir: string, id: string): string {
  return join(dataDir, "datasets", `${checkId(id)}.lldata`);
}

/** Saves an imported dataset under the data dir, atomically. */
export async function saveDataset(dataDir: string, id: string, dataset: Dataset): Promise<string> {
  const path = savedDatasetPath(dataDir, id);
  await writeDatasetFile(path, dataset);
  return path;
}

/** Loads a dataset saved by `saveDataset`. */
export async function loadSavedDataset(dataDir: string, id: string): Promise<Dataset> {
  return readDatasetFile(savedDatasetPath(dataDir, id));
}
