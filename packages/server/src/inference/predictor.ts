import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type DecodedImage, type Normalization, preprocessImage } from "@layerlab/data-core";
import { decodeBmp, sniffImageFormat } from "@layerlab/data-node";
import {
  buildModel,
  disposeVars,
  initBackend,
  loadWeights,
  type Model,
  type ModelVars,
  predict,
} from "@layerlab/engine";
import sharp from "sharp";
import { HttpError } from "../http-error";
import { type ModelFiles, modelFilesOf } from "./model-files";
import { runNormalization } from "./normalization";

const MAX_PIXELS = 16_000_000;

interface Loaded {
  model: Model;
  vars: ModelVars;
  normalization: Normalization;
}

/** A cached model: the files it was loaded from, and how many predictions use it right now. */
interface Entry {
  key: string;
  loaded: Promise<Loaded>;
  users: number;
  /** Replaced or evicted: freed once its last user is done. */
  retired: boolean;
}

/** The answer of a prediction: classes and probabilities in the same order, and the best few. */
export interface Prediction {
  classes: string[];
  probabilities: number[];
  top: { class: string; probability: number }[];
}

/** How an image is brought to the model's input. */
export type Preprocess = "mnist" | "resize";

/**
 * Loads and caches trained models by run id (a few at a time). An entry is
 * keyed on the identity of the files it was loaded from, so a checkpoint
 * written by another epoch, a resume or an upload is picked up by the next
 * prediction: no answer comes from an older model than the one on disk.
 */
export class Predictor {
  readonly #cache = new Map<string, Entry>();

  constructor(readonly capacity = 4) {}

  /** Forgets a run's model (deleted or retrained). */
  forget(runId: string): void {
    const entry = this.#cache.get(runId);
    this.#cache.delete(runId);
    if (entry) this.#retire(entry);
  }

  /** Frees an entry's arrays once no prediction uses them. */
  #retire(entry: Entry): void {
    entry.retired = true;
    if (entry.users > 0) return;
    void entry.loaded.then(
      (l) => disposeVars(l.vars),
      () => {},
    );
  }

  /** The cached entry for these files, else a new one (retiring the run's older model). */
  #entryFor(runId: string, dir: string, files: ModelFiles): Entry {
    const cached = this.#cache.get(runId);
    if (cached && cached.key === files.key) {
      // Most recently used last, so eviction takes the oldest.
      this.#cache.delete(runId);
      this.#cache.set(runId, cached);
      return cached;
    }
    if (cached) this.forget(runId);
    const entry: Entry = { key: files.key, loaded: load(runId, dir, files), users: 0, retired: false };
    entry.loaded.catch(() => {
      if (this.#cache.get(runId) === entry) this.#cache.delete(runId);
    });
    this.#cache.set(runId, entry);
    if (this.#cache.size > this.capacity) this.forget(this.#cache.keys().next().value!);
    return entry;
  }

  /** Classifies one encoded image with a run's current model. */
  async classify(runId: string, dir: string, image: Uint8Array, preprocess: Preprocess): Promise<Prediction> {
    const entry = this.#entryFor(runId, dir, await modelFilesOf(runId, dir));
    entry.users++;
    try {
      return await classifyWith(await entry.loaded, image, preprocess);
    } finally {
      entry.users--;
      if (entry.retired && entry.users === 0) this.#retire(entry);
    }
  }
}

/** Reads a run's model from its files; a 409 naming the file when one cannot be used. */
async function load(runId: string, dir: string, files: ModelFiles): Promise<Loaded> {
  await initBackend();
  const [specText, weights] = await Promise.all([
    readFile(join(dir, "spec.json"), "utf8"),
    readFile(join(dir, files.checkpoint)),
  ]).catch(() => {
    throw new HttpError(409, `run ${runId}'s model files changed while loading; predict again`);
  });
  let model: Model;
  try {
    model = buildModel(JSON.parse(specText));
  } catch (err) {
    throw new HttpError(409, `run ${runId}'s spec.json is not a valid model (${(err as Error).message})`);
  }
  let vars: ModelVars;
  try {
    vars = loadWeights(model, new Uint8Array(weights));
  } catch (err) {
    throw new HttpError(
      409,
      `run ${runId}'s ${files.checkpoint} does not fit its model (${(err as Error).message}); upload the weights this run trained`,
    );
  }
  try {
    const normalization = await runNormalization(runId, dir, new Uint8Array(weights), model.spec.input.shape);
    return { model, vars, normalization };
  } catch (err) {
    disposeVars(vars);
    throw err;
  }
}

/** Runs one image through a loaded model, preprocessed by data-core's `preprocessImage` as the page does. */
async function classifyWith(loaded: Loaded, image: Uint8Array, preprocess: Preprocess): Promise<Prediction> {
  const { model, vars, normalization } = loaded;
  const pixels = await decode(image);
  let x: Float32Array;
  try {
    x = preprocessImage(pixels, { shape: model.spec.input.shape, digits: preprocess === "mnist" }, normalization);
  } catch (err) {
    throw new HttpError(409, `this run's model cannot take the image: ${(err as Error).message}`);
  }
  const probs = await predict(model, vars, x, 1);
  const classes = [...model.spec.classes];
  const probabilities = Array.from(probs);
  const top = classes
    .map((cls, i) => ({ class: cls, probability: probabilities[i]! }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 5);
  return { classes, probabilities, top };
}

/** Decodes an encoded image (PNG, JPEG, WebP, GIF's first frame, BMP) to its pixels, EXIF orientation applied. */
async function decode(bytes: Uint8Array): Promise<DecodedImage> {
  try {
    if (sniffImageFormat(bytes) === "bmp") {
      const { width, height, data } = decodeBmp(bytes, MAX_PIXELS);
      return { width, height, channels: 3, pixels: data };
    }
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS, pages: 1 })
      .rotate()
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels as 3 | 4, pixels: data };
  } catch (err) {
    throw new HttpError(400, `the image cannot be decoded (${(err as Error).message}); send a PNG or JPEG`);
  }
}
