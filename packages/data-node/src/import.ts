import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import { type Dataset, deriveSeed, type ImageSet, permutation } from "@layerlab/data-core";
import { type DecodeTarget, decodeImage, imageInfo, type ResizeFit } from "./decode";
import {
  type ChannelsReason,
  chooseDecodeTarget,
  describeDecodeChoice,
  emptySurvey,
  type ImageSurvey,
  observeImage,
  type SizeReason,
  sameTarget,
} from "./decode-target";
import {
  type DatasetLayout,
  type PlannedImage,
  planImport,
  type SkippedFile,
  sortClassNames,
  stripCommonRoot,
} from "./layout";
import { DatasetImportError, DEFAULT_IMPORT_LIMITS, type ImportLimits } from "./limits";
import { sniffImageFormat } from "./sniff";
import { type DatasetSource, openFolderSource, openZipSource } from "./sources";

/** Options of `importDataset`; every field has a default. */
export interface ImportOptions {
  /** Dataset name. Default: the file or folder name without extension. */
  name?: string;
  /**
   * Side of the square target images. Default: the images' own width × height when they all share one with
   * sides from 4 to 128 (`MAX_NATIVE_IMAGE_SIDE`), else 64 × 64 (`DEFAULT_IMAGE_SIDE`).
   */
  size?: number;
  /** 1 (greyscale) or 3 (RGB). Default: 1 when every image is greyscale, else 3. */
  channels?: 1 | 3;
  /** How images are brought to the target size. Default "contain" (letterbox). */
  fit?: ResizeFit;
  /** Corrupt or unreadable images: skip them (listed in the report) or fail the import. Default "skip". */
  onCorrupt?: "skip" | "fail";
  /** Share of each class held out for testing when the dataset has no test split. Default 0.2. */
  testFraction?: number;
  /** Seeds that split. Default 0. */
  seed?: number;
  /** Whether mirroring keeps the class (photos yes, letters no). Default false. */
  allowsHorizontalFlip?: boolean;
  limits?: Partial<ImportLimits>;
  /** Images decoded at once. Default 4. */
  concurrency?: number;
}

/** What every image of an import was decoded to, and why. */
export interface DecodedImages {
  width: number;
  height: number;
  channels: 1 | 3;
  sizeReason: SizeReason;
  channelsReason: ChannelsReason;
  summary: string;
}

/** What an import did: per-class counts per split, files left out and why, and warnings. */
export interface ImportReport {
  source: string;
  layout: DatasetLayout;
  shape: [number, number, number];
  fit: ResizeFit;
  /** The size and colour every image was decoded to, why, and that in words ("32×32 RGB (the images' own size)"). */
  decoded: DecodedImages;
  classes: string[];
  counts: { train: Record<string, number>; test: Record<string, number> };
  skipped: SkippedFile[];
  warnings: string[];
}

interface Decoded {
  pixels: Uint8Array;
  hash: string;
}

/** Outcome of one decoding pass: done, or restart with a wider target because an image did not fit it. */
type PassResult = { kind: "done"; decoded: (Decoded | null)[] } | { kind: "restart" };

async function readManifest(source: DatasetSource, root: string, name: string): Promise<unknown> {
  const file = source.files.find((f) => f.path === `${root}${name}`);
  if (!file) return undefined;
  const text = new TextDecoder().decode(await source.read(file));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DatasetImportError(`${name} is not valid JSON (${(err as Error).message}); fix it or remove it`);
  }
}

async function decodePass(
  source: DatasetSource,
  images: PlannedImage[],
  target: DecodeTarget,
  survey: ImageSurvey,
  opts: ImportOptions,
  limits: ImportLimits,
  skipped: SkippedFile[],
): Promise<PassResult> {
  const decoded: (Decoded | null)[] = new Array(images.length).fill(null);
  const passSkipped: SkippedFile[] = [];
  let next = 0;
  let restart = false;
  const failOrSkip = (file: string, reason: string) => {
    // Stop the other workers too: the import is abandoned as a whole.
    if (opts.onCorrupt === "fail") restart = true;
    if (opts.onCorrupt === "fail")
      throw new DatasetImportError(`${file}: ${reason}; fix or remove the file, or import with onCorrupt "skip"`);
    passSkipped.push({ file, reason });
  };
  const worker = async () => {
    while (!restart && next < images.length) {
      const index = next++;
      const path = images[index]!.file.path;
      const bytes = await source.read(images[index]!.file);
      const format = sniffImageFormat(bytes);
      if (!format) {
        passSkipped.push({ file: path, reason: "not an image (content is not PNG, JPEG, WebP, GIF, BMP or TIFF)" });
        continue;
      }
      let info: Awaited<ReturnType<typeof imageInfo>>;
      try {
        info = await imageInfo(bytes, limits.maxImagePixels);
      } catch (err) {
        failOrSkip(path, `corrupt ${format.toUpperCase()} (${(err as Error).message})`);
        continue;
      }
      if (info.width * info.height > limits.maxImagePixels) {
        failOrSkip(
          path,
          `${info.width}×${info.height} is over the ${limits.maxImagePixels}-pixel limit (maxImagePixels)`,
        );
        continue;
      }
      observeImage(survey, info);
      // An image that changes the choice (another size, colour among greys) restarts the pass with the new target.
      if (!sameTarget(chooseDecodeTarget(opts, survey).target, target)) {
        restart = true;
        return;
      }
      try {
        const pixels = await decodeImage(bytes, target, limits.maxImagePixels);
        decoded[index] = { pixels, hash: createHash("sha1").update(bytes).digest("hex") };
      } catch (err) {
        failOrSkip(path, `corrupt ${format.toUpperCase()} (${(err as Error).message})`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  if (restart) return { kind: "restart" };
  skipped.push(...passSkipped);
  return { kind: "done", decoded };
}

interface Placed {
  split: "train" | "test";
  label: number;
  pixels: Uint8Array;
  hash: string;
  path: string;
}

/** Seeded, stratified split of the "pool" images: each class sends `fraction` (at least one) to test. */
function splitPool(pool: Omit<Placed, "split">[], fraction: number, seed: number): Placed[] {
  const byClass = new Map<number, Omit<Placed, "split">[]>();
  for (const item of pool) {
    const list = byClass.get(item.label) ?? [];
    list.push(item);
    byClass.set(item.label, list);
  }
  const out: Placed[] = [];
  for (const [label, list] of byClass) {
    const nTest = list.length < 2 ? 0 : Math.min(list.length - 1, Math.max(1, Math.round(list.length * fraction)));
    const order = permutation(list.length, deriveSeed(seed, 5, label));
    order.forEach((o, k) => {
      out.push({ ...list[o]!, split: k < nTest ? "test" : "train" });
    });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

function toImageSet(items: Placed[], size: number): ImageSet {
  const images = new Uint8Array(items.length * size);
  const labels = new Uint8Array(items.length);
  items.forEach((item, i) => {
    images.set(item.pixels, i * size);
    labels[i] = item.label;
  });
  return { images, labels, count: items.length };
}

/** Checks the imported splits and throws an error naming the class and the fix when one cannot train. */
function validateSplits(classes: string[], placed: Placed[]): void {
  if (classes.length < 2) {
    throw new DatasetImportError(
      `found ${classes.length} class${classes.length === 1 ? ` ("${classes[0]}")` : "es"}; a classifier needs at least 2 — add a folder (or manifest labels) per class`,
    );
  }
  if (classes.length > 256) throw new DatasetImportError(`found ${classes.length} classes; at most 256 are supported`);
  for (const [label, name] of classes.entries()) {
    const train = placed.filter((p) => p.label === label && p.split === "train").length;
    const test = placed.filter((p) => p.label === label && p.split === "test").length;
    if (train === 0)
      throw new DatasetImportError(`class "${name}" has no training images; add some or remove the class`);
    if (test === 0) {
      throw new DatasetImportError(
        `class "${name}" has no test images; add some to its test folder/manifest, or drop the test split so one is drawn`,
      );
    }
  }
}

function duplicateWarnings(placed: Placed[]): string[] {
  const trainByHash = new Map<string, string>();
  for (const p of placed) if (p.split === "train") trainByHash.set(p.hash, p.path);
  const dupes = placed.filter((p) => p.split === "test" && trainByHash.has(p.hash));
  if (!dupes.length) return [];
  const examples = dupes.slice(0, 5).map((p) => `${p.path} = ${trainByHash.get(p.hash)}`);
  return [
    `${dupes.length} test image(s) also appear in train, which inflates test accuracy: ${examples.join("; ")}${dupes.length > 5 ? "; …" : ""}`,
  ];
}

async function openSource(path: string, limits: ImportLimits): Promise<DatasetSource> {
  const info = await stat(path).catch(() => {
    throw new DatasetImportError(`${path} does not exist; give a ZIP file or a folder`);
  });
  if (info.isDirectory()) return openFolderSource(path, limits);
  return openZipSource(path, info.size, limits);
}

/**
 * Imports a custom dataset from a ZIP or a folder in any layout of DESIGN.md ("Custom datasets"), decoding
 * every image with sharp into uint8 `[C, H, W]`. Either returns the whole dataset with its report or throws a
 * `DatasetImportError`; nothing is half-imported (nothing is written anywhere — save it with `saveDataset`).
 */
export async function importDataset(
  path: string,
  opts: ImportOptions = {},
): Promise<{ dataset: Dataset; report: ImportReport }> {
  const limits = { ...DEFAULT_IMPORT_LIMITS, ...opts.limits };
  const fraction = opts.testFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1))
    throw new DatasetImportError(`testFraction must be between 0 and 1, got ${fraction}`);
  if (opts.size !== undefined && (!Number.isInteger(opts.size) || opts.size < 4 || opts.size > 512)) {
    throw new DatasetImportError(`size must be an integer from 4 to 512, got ${opts.size}`);
  }
  const source = await openSource(path, limits);
  try {
    const { files, root } = stripCommonRoot(source.files);
    const manifests = {
      train: await readManifest(source, root, "train.json"),
      test: await readManifest(source, root, "test.json"),
    };
    const plan = planImport(files, manifests);
    const skipped = [...source.skipped, ...plan.skipped];
    // Plan paths are relative to the stripped root; the source reads by full path.
    const images = plan.images.map((img) => ({ ...img, file: { ...img.file, path: `${root}${img.file.path}` } }));
    // The survey only grows (first size, a differing size, colour), so the choice changes at most three times.
    const survey = emptySurvey();
    let choice = chooseDecodeTarget(opts, survey);
    let result = await decodePass(source, images, choice.target, survey, opts, limits, skipped);
    while (result.kind === "restart") {
      choice = chooseDecodeTarget(opts, survey);
      result = await decodePass(source, images, choice.target, survey, opts, limits, skipped);
    }
    const target = choice.target;
    const decoded = result.decoded;
    const classes = sortClassNames(images.filter((_, i) => decoded[i]).map((img) => img.className));
    const labelOf = new Map(classes.map((c, i) => [c, i]));
    const fixed: Placed[] = [];
    const pool: Omit<Placed, "split">[] = [];
    images.forEach((img, i) => {
      const d = decoded[i];
      if (!d) return;
      const item = { label: labelOf.get(img.className)!, pixels: d.pixels, hash: d.hash, path: img.file.path };
      if (img.split === "pool") pool.push(item);
      else fixed.push({ ...item, split: img.split });
    });
    const placed = [...fixed, ...splitPool(pool, fraction, opts.seed ?? 0)];
    validateSplits(classes, placed);
    const shape: [number, number, number] = [target.channels, target.height, target.width];
    const size = shape[0] * shape[1] * shape[2];
    const name = opts.name ?? basename(path, extname(path));
    const dataset: Dataset = {
      name,
      shape,
      classes,
      train: toImageSet(
        placed.filter((p) => p.split === "train"),
        size,
      ),
      test: toImageSet(
        placed.filter((p) => p.split === "test"),
        size,
      ),
      allowsHorizontalFlip: opts.allowsHorizontalFlip ?? false,
      description: `Custom dataset "${name}": ${classes.length} classes, ${shape[1]}×${shape[2]} ${shape[0] === 1 ? "greyscale" : "RGB"}, imported from ${basename(path)}.`,
    };
    const count = (split: "train" | "test") =>
      Object.fromEntries(classes.map((c, i) => [c, placed.filter((p) => p.split === split && p.label === i).length]));
    const report: ImportReport = {
      source: path,
      layout: plan.layout,
      shape,
      fit: target.fit,
      decoded: {
        width: target.width,
        height: target.height,
        channels: target.channels,
        sizeReason: choice.sizeReason,
        channelsReason: choice.channelsReason,
        summary: describeDecodeChoice(choice, survey),
      },
      classes,
      counts: { train: count("train"), test: count("test") },
      skipped,
      warnings: [...plan.warnings, ...duplicateWarnings(placed)],
    };
    return { dataset, report };
  } finally {
    await source.close();
  }
}
