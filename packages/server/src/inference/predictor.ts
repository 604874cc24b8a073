import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Normalization } from "@layerlab/data-core";
import { decodeImage } from "@layerlab/data-node";
import { buildModel, initBackend, loadWeights, type Model, type ModelVars, predict } from "@layerlab/engine";
import sharp from "sharp";
import { HttpError } from "../http-error";
import { mnistStyle } from "./mnist-style";

const MAX_PIXELS = 16_000_000;

interface Loaded {
  model: Model;
  vars: ModelVars;
  normalization: Normalization;
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
 * The normalization a run trained with: run.json's (server runs, written by
 * the runner), else normalization.json (uploaded by browser runs), else none.
 */
export async function runNormalization(dir: string): Promise<Normalization> {
  const fromRun = await readFile(join(dir, "run.json"), "utf8").then(
    (t) => (JSON.parse(t) as { normalization?: Normalization }).normalization,
    () => undefined,
  );
  if (fromRun) return fromRun;
  return JSON.parse(await readFile(join(dir, "normalization.json"), "utf8").catch(() => '{"mean":[0],"std":[1]}'));
}

/** Loads and caches trained models by run id (a few at a time). */
export class Predictor {
  readonly #cache = new Map<string, Promise<Loaded>>();

  constructor(readonly capacity = 4) {}

  /** Forgets a run's model (deleted or retrained). */
  forget(runId: string): void {
    const entry = this.#cache.get(runId);
    this.#cache.delete(runId);
    void entry?.then(
      (l) => {
        for (const a of [...Object.values(l.vars.params), ...Object.values(l.vars.state)]) a.dispose();
      },
      () => {},
    );
  }

  async #load(runId: string, dir: string): Promise<Loaded> {
    let entry = this.#cache.get(runId);
    if (!entry) {
      entry = (async () => {
        await initBackend();
        const spec = JSON.parse(await readFile(join(dir, "spec.json"), "utf8"));
        // The best checkpoint, as `layerlab predict` uses (server runs); browser runs upload only weights.safetensors.
        const weights = await readFile(join(dir, "weights.best.safetensors"))
          .catch(() => readFile(join(dir, "weights.safetensors")))
          .catch(() => {
            throw new HttpError(404, `run ${runId} has no trained weights yet`);
          });
        const normalization = await runNormalization(dir);
        const model = buildModel(spec);
        return { model, vars: loadWeights(model, new Uint8Array(weights)), normalization };
      })();
      entry.catch(() => this.#cache.delete(runId));
      this.#cache.set(runId, entry);
      if (this.#cache.size > this.capacity) this.forget(this.#cache.keys().next().value!);
    }
    return entry;
  }

  /** Classifies one encoded image with a run's model. */
  async classify(runId: string, dir: string, image: Uint8Array, preprocess: Preprocess): Promise<Prediction> {
    const { model, vars, normalization } = await this.#load(runId, dir);
    const shape = model.spec.input.shape;
    const [c, h, w] = shape.length === 3 ? shape : [1, shape[0] ?? 1, shape[1] ?? 1];
    const pixels = await toInput(image, c as 1 | 3, h!, w!, preprocess);
    const x = new Float32Array(pixels.length);
    const plane = h! * w!;
    for (let i = 0; i < pixels.length; i++) {
      const ch = Math.floor(i / plane);
      x[i] = (pixels[i]! / 255 - (normalization.mean[ch] ?? 0)) / (normalization.std[ch] || 1);
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
}

/** Decodes an image to the model's `[C, H, W]` uint8 input, MNIST-style for 1×28×28 digit models. */
async function toInput(bytes: Uint8Array, channels: 1 | 3, height: number, width: number, preprocess: Preprocess) {
  try {
    if (preprocess === "mnist" && channels === 1) {
      const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS })
        .flatten({ background: { r: 255, g: 255, b: 255 } })
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return mnistStyle(
        { width: info.width, height: info.height, pixels: new Uint8Array(data) },
        width,
        Math.round((width * 20) / 28),
      ).pixels;
    }
    return await decodeImage(bytes, { width, height, channels, fit: "contain" }, MAX_PIXELS);
  } catch (err) {
    throw new HttpError(400, `the image cannot be decoded (${(err as Error).message}); send a PNG or JPEG`);
  }
}
