import { type Dataset, generateShapes } from "@layerlab/data-core";
import type { ShapesChoice } from "./datasets";

/*
 * Drawing the shapes costs seconds of CPU (3,000 images, every pixel sampled 16 times), and the same
 * options always give the same bytes. So each realm — the page, the training worker — keeps the last set
 * it drew: opening the train page again, or starting the next run on the same data, does not draw it anew.
 * Every caller only reads the set.
 */
let last: { key: string; dataset: Dataset } | null = null;

/** The generated shapes of `choice`, drawn only when the options differ from the previous call's. */
export function cachedShapes(choice: Omit<ShapesChoice, "kind">): Dataset {
  const { shapes, size, countPerClass, seed } = choice;
  const key = JSON.stringify([shapes, size, countPerClass, seed]);
  if (last?.key !== key) last = { key, dataset: generateShapes({ shapes, size, countPerClass, seed }) };
  return last.dataset;
}
