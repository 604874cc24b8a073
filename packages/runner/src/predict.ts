import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { gatherBatch } from "@layerlab/data-core";
import { DEFAULT_IMPORT_LIMITS, decodeImage } from "@layerlab/data-node";
import {
  buildModel,
  disposeVars,
  initBackend,
  loadWeights,
  type Model,
  type ModelVars,
  predict,
} from "@layerlab/engine";
import type { ModelSpec } from "@layerlab/spec";
import { RUN_FILES, RunFolderError, readRunJson } from "./files";
import { type RunInfo, readRunInfo } from "./run-info";

/** A run's model loaded for inference. Call `dispose()` when done. */
export interface LoadedRun {
  dir: string;
  info: RunInfo;
  model: Model;
  vars: ModelVars;
  /** Which checkpoint was loaded. */
  weightsFile: string;
  dispose(): void;
}

/** One image's prediction: the top class and every class's probability. */
export interface ImagePrediction {
  source: string;
  classIndex: number;
  className: string;
  probabilities: { className: string; probability: number }[];
}

/** Loads a run's best checkpoint (or its last, when asked or when it has no best one). */
export async function loadRunModel(dir: string, which: "best" | "last" = "best"): Promise<LoadedRun> {
  dir = resolve(dir);
  const info = await readRunInfo(dir);
  const spec = await readRunJson<ModelSpec>(dir, RUN_FILES.spec);
  const candidates = which === "best" ? [RUN_FILES.bestWeights, RUN_FILES.weights] : [RUN_FILES.weights];
  const weightsFile = candidates.find((f) => existsSync(join(dir, f)));
  if (!weightsFile) {
    throw new RunFolderError(`the run in ${dir} has no weights yet`, "let it train at least one epoch");
  }
  await initBackend();
  const model = buildModel(spec);
  let vars: ModelVars;
  try {
    vars = loadWeights(model, new Uint8Array(await readFile(join(dir, weightsFile))));
  } catch (err) {
    throw new RunFolderError(`${join(dir, weightsFile)}: ${(err as Error).message}`, "the run folder is damaged");
  }
  return { dir, info, model, vars, weightsFile, dispose: () => disposeVars(vars) };
}

/**
 * Classifies encoded images (PNG, JPEG, WebP, GIF, BMP, TIFF) with a loaded
 * run: decoded, converted to its colour mode and size with its fit, and
 * normalised with its training statistics, exactly as training saw images.
 */
export async function predictImages(
  run: LoadedRun,
  images: readonly { source: string; bytes: Uint8Array }[],
): Promise<ImagePrediction[]> {
  const { preprocessing, normalization, dataset } = run.info;
  const [channels, height, width] = preprocessing.inputShape;
  const size = channels * height * width;
  const pixels = new Uint8Array(images.length * size);
  for (const [i, image] of images.entries()) {
    try {
      const target = { width, height, channels: channels as 1 | 3, fit: preprocessing.fit };
      pixels.set(await decodeImage(image.bytes, target, DEFAULT_IMPORT_LIMITS.maxImagePixels), i * size);
    } catch (err) {
      throw new RunFolderError(
        `${image.source} is not an image LayerLab can read (${(err as Error).message})`,
        "give a PNG, JPEG, WebP, GIF, BMP or TIFF file",
      );
    }
  }
  const n = images.length;
  const set = { images: pixels, labels: new Uint8Array(n), count: n };
  const batch = gatherBatch(
    set,
    preprocessing.inputShape,
    Uint32Array.from({ length: n }, (_, i) => i),
    normalization,
  );
  const probs = await predict(run.model, run.vars, batch.x, n); // [n · classes]
  const classes = dataset.classes;
  return images.map((image, i) => {
    const row = Array.from(probs.subarray(i * classes.length, (i + 1) * classes.length));
    const classIndex = row.indexOf(Math.max(...row));
    return {
      source: image.source,
      classIndex,
      className: classes[classIndex]!,
      probabilities: row.map((probability, c) => ({ className: classes[c]!, probability })),
    };
  });
}
