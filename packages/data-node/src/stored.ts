import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Dataset, type ImageSet, imageSize } from "@layerlab/data-core";
import { writeFileAtomic } from "./atomic";

const MAGIC = "LAYERLAB-DATASET-1\n";

interface StoredHeader {
  name: string;
  shape: [number, number, number];
  classes: string[];
  trainCount: number;
  testCount: number;
  allowsHorizontalFlip?: boolean;
  description?: string;
}

/**
 * Encodes a dataset compactly: a magic line, a uint32 header length, a JSON header, then the raw
 * uint8 train images, train labels, test images and test labels.
 */
export function encodeDataset(dataset: Dataset): Uint8Array[] {
  const header: StoredHeader = {
    name: dataset.name,
    shape: [...dataset.shape],
    classes: [...dataset.classes],
    trainCount: dataset.train.count,
    testCount: dataset.test.count,
    allowsHorizontalFlip: dataset.allowsHorizontalFlip,
    description: dataset.description,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, json.length, true);
  const size = imageSize(dataset.shape);
  return [
    new TextEncoder().encode(MAGIC),
    length,
    json,
    dataset.train.images.subarray(0, dataset.train.count * size),
    dataset.train.labels.subarray(0, dataset.train.count),
    dataset.test.images.subarray(0, dataset.test.count * size),
    dataset.test.labels.subarray(0, dataset.test.count),
  ];
}

/** Decodes what `encodeDataset` wrote; `source` names the file in errors. */
export function decodeDataset(buf: Uint8Array, source = "dataset file"): Dataset {
  const magic = new TextEncoder().encode(MAGIC);
  if (buf.length < magic.length + 4 || !magic.every((b, i) => buf[i] === b)) {
    throw new Error(`${source} is not a LayerLab dataset file (bad magic); delete it and import the dataset again`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const jsonLength = view.getUint32(magic.length, true);
  let offset = magic.length + 4;
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(offset, offset + jsonLength))) as StoredHeader;
  offset += jsonLength;
  const size = imageSize(header.shape);
  const expected = offset + (header.trainCount + header.testCount) * (size + 1);
  if (buf.length !== expected) {
    throw new Error(
      `${source} is truncated or damaged (${buf.length} bytes, expected ${expected}); delete it and import again`,
    );
  }
  const take = (n: number) => {
    const part = buf.subarray(offset, offset + n);
    offset += n;
    return part;
  };
  const set = (count: number): ImageSet => ({ images: take(count * size), labels: take(count), count });
  const train = set(header.trainCount);
  const test = set(header.testCount);
  return {
    name: header.name,
    shape: header.shape,
    classes: header.classes,
    train,
    test,
    ...(header.allowsHorizontalFlip !== undefined && { allowsHorizontalFlip: header.allowsHorizontalFlip }),
    ...(header.description !== undefined && { description: header.description }),
  };
}

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
