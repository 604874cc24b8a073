import { type Dataset, generateShapes } from "@layerlab/data-core";
import type { ShapesChoice } from "./datasets";

/*
 * Drawing the shapes costs seconds of CPU (3,000 images, every pixel sampled 16 times), and the same
 * options always give the same bytes. So each realm — the page, the training worker — keeps the last set
 * it drew: opening the train page again, or starting the next run on the same data, does not draw it anew.
 * The page hands the set it drew to a training worker with the run (a copy of 2.4 MB costs milliseconds),
 * so a worker draws only when the page had not. Every caller only reads the set.
 */
let last: { key: string; dataset: Dataset } | null = null;

/**
 * The generated shapes of `choice`, drawn only when the options differ from the previous call's;
 * `drawn`, when given, is that set drawn in another realm (the page), kept instead of drawing it.
 */
export function cachedShapes(choice: Omit<ShapesChoice, "kind">, drawn?: Dataset): Dataset {
  const key = keyOf(choice);
  if (last?.key !== key) last = { key, dataset: drawn ?? generateShapes(optionsOf(choice)) };
  return last.dataset;
}

/** The shapes of `choice` if this realm has drawn them already, else null (nothing is drawn). */
export function drawnShapes(choice: Omit<ShapesChoice, "kind">): Dataset | null {
  return last?.key === keyOf(choice) ? last.dataset : null;
}

function optionsOf({ shapes, size, countPerClass, seed }: Omit<ShapesChoice, "kind">) {
  return { shapes, size, countPerClass, seed };
}

/** The generator's options as a string: optionsOf fixes their order. */
function keyOf(choice: Omit<ShapesChoice, "kind">): string {
  return JSON.stringify(optionsOf(choice));
}
