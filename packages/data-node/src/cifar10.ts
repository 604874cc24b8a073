import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Dataset, ImageSet } from "@layerlab/data-core";
import { writeFileAtomic } from "./atomic";
import { type DownloadProgress, downloadFile, fileMd5 } from "./download";
import { readTar } from "./tar";

/** The official CIFAR-10 binary archive and its published MD5. */
export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
export const CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
/** The ten CIFAR-10 classes, in label order (as batches.meta.txt lists them). */
export const CIFAR10_CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
] as const;

const RECORD = 1 + 3 * 32 * 32;
const TRAIN_FILES = [
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
];
const TEST_FILES = ["test_batch.bin"];

/** CIFAR-10 is not on disk and could not be downloaded; the message says where to put the files by hand. */
export class DatasetUnavailableError extends Error {
  override name = "DatasetUnavailableError";
}

/** Options of `loadCifar10`. */
export interface Cifar10Options {
  dataDir: string;
  /** Defaults to the official address. */
  url?: string;
  /** Defaults to the published digest of the official archive. */
  md5?: string;
  onProgress?: (p: DownloadProgress) => void;
}

/** The CIFAR-10 folder under a data dir: it holds the archive and `cifar-10-batches-bin/`. */
export function cifar10Dir(dataDir: string): string {
  return join(dataDir, "cifar10");
}

function batchesDir(dataDir: string): string {
  return join(cifar10Dir(dataDir), "cifar-10-batches-bin");
}

/**
 * Parses CIFAR-10 binary batches (records of 1 label byte + 3072 pixel bytes, red, green, blue
 * planes of 32×32 row-major, i.e. already `[C, H, W]`) into one image set.
 */
export function parseCifarBatches(buffers: readonly { data: Uint8Array; source: string }[]): ImageSet {
  let count = 0;
  for (const { data, source } of buffers) {
    if (data.length === 0 || data.length % RECORD !== 0) {
      throw new Error(`${source} is not a CIFAR-10 binary batch: ${data.length} bytes is not a multiple of ${RECORD}`);
    }
    count += data.length / RECORD;
  }
  const images = new Uint8Array(count * (RECORD - 1));
  const labels = new Uint8Array(count);
  let i = 0;
  for (const { data, source } of buffers) {
    for (let off = 0; off < data.length; off += RECORD, i++) {
      const label = data[off]!;
      if (label >= CIFAR10_CLASSES.length)
        throw new Error(`${source}: record ${off / RECORD} has label ${label}, expected 0–9`);
      labels[i] = label;
      images.set(data.subarray(off + 1, off + RECORD), i * (RECORD - 1));
    }
  }
  return { images, labels, count };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Reads CIFAR-10 from a folder holding data_batch_1..5.bin and test_batch.bin. */
export async function readCifar10Folder(dir: string): Promise<Dataset> {
  const read = (names: string[]) =>
    Promise.all(names.map(async (n) => ({ data: new Uint8Array(await readFile(join(dir, n))), source: join(dir, n) })));
  return {
    name: "cifar10",
    shape: [3, 32, 32],
    classes: [...CIFAR10_CLASSES],
    train: parseCifarBatches(await read(TRAIN_FILES)),
    test: parseCifarBatches(await read(TEST_FILES)),
    allowsHorizontalFlip: true,
    description:
      "CIFAR-10: 60,000 32×32 colour photos in 10 classes (airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck), 50,000 for training and 10,000 for testing, collected by Krizhevsky, Nair and Hinton from the 80 Million Tiny Images set.",
  };
}

/** Unpacks the .bin files of the archive into the batches folder, each written atomically. */
async function extractArchive(archive: string, dir: string): Promise<void> {
  const files = readTar(gunzipSync(await readFile(archive)), archive);
  for (const name of [...TRAIN_FILES, ...TEST_FILES]) {
    const file = files.find((f) => basename(f.name) === name);
    if (!file) throw new Error(`${archive} holds no ${name}: is it the CIFAR-10 binary version?`);
    await writeFileAtomic(join(dir, name), [file.data]);
  }
}

function manualInstructions(opts: Cifar10Options): string {
  return (
    `To install it by hand, download ${CIFAR10_URL} on a machine with internet access and either put the archive at ` +
    `${join(cifar10Dir(opts.dataDir), "cifar-10-binary.tar.gz")} or unpack it so that ` +
    `${join(batchesDir(opts.dataDir), "data_batch_1.bin")} (… data_batch_5.bin, test_batch.bin) exist.`
  );
}

/**
 * CIFAR-10 from the cache folder under `dataDir`: the unpacked batches if present, else the archive
 * (checked against its MD5), else downloaded on first use with progress. Errors say where to put the
 * files by hand.
 */
export async function loadCifar10(opts: Cifar10Options): Promise<Dataset> {
  const dir = batchesDir(opts.dataDir);
  const all = [...TRAIN_FILES, ...TEST_FILES];
  if ((await Promise.all(all.map((n) => exists(join(dir, n))))).every(Boolean)) return readCifar10Folder(dir);
  const archive = join(cifar10Dir(opts.dataDir), "cifar-10-binary.tar.gz");
  const md5 = opts.md5 ?? CIFAR10_MD5;
  if (await exists(archive)) {
    const digest = await fileMd5(archive);
    if (digest !== md5) {
      throw new Error(
        `CIFAR-10 archive ${archive} has MD5 ${digest}, expected ${md5}: it is damaged or not the binary version. Delete it. ${manualInstructions(opts)}`,
      );
    }
  } else {
    const url = opts.url ?? CIFAR10_URL;
    try {
      await downloadFile(url, archive, md5, opts.onProgress);
    } catch (err) {
      const reason =
        err instanceof Error
          ? err.cause instanceof Error
            ? `${err.message}: ${err.cause.message}`
            : err.message
          : String(err);
      throw new DatasetUnavailableError(
        `Cannot download CIFAR-10 from ${url} (${reason}). ${manualInstructions(opts)}`,
      );
    }
  }
  await extractArchive(archive, dir);
  return readCifar10Folder(dir);
}
