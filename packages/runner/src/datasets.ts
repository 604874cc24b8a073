import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Dataset, ShapesOptions } from "@layerlab/data-core";
import {
  BUILTIN_DATASETS,
  type BuiltinDatasetName,
  type ImportOptions,
  importDataset,
  loadBuiltinDataset,
  loadSavedDataset,
  type ResizeFit,
  savedDatasetPath,
} from "@layerlab/data-node";
import { RunFolderError } from "./files";

/**
 * Where a run's dataset comes from, recorded in run.json so that a resumed run
 * reloads exactly the same images: a built-in by name, a ZIP/folder path with
 * its import options, or a dataset saved under the data dir.
 */
export type DatasetRef =
  | { kind: "builtin"; name: BuiltinDatasetName; shapes?: ShapesOptions }
  | { kind: "path"; path: string; import?: Pick<ImportOptions, "size" | "channels" | "fit" | "seed" | "testFraction"> }
  | { kind: "saved"; id: string };

/** What predict must do to an image so that it looks like the training data. */
export interface Preprocessing {
  /** `[C, H, W]` of the model's input. */
  inputShape: [number, number, number];
  colorMode: "grayscale" | "rgb";
  /** How an image of another size is fitted (sharp's contain/cover, or stretch). */
  fit: ResizeFit;
}

/** A loaded dataset with the facts a run records about it. */
export interface LoadedDataset {
  dataset: Dataset;
  ref: DatasetRef;
  preprocessing: Preprocessing;
}

/** The default folder for caches, downloads and imported datasets: $LAYERLAB_DATA_DIR or ./data. */
export function defaultDataDir(): string {
  return resolve(process.env.LAYERLAB_DATA_DIR ?? "data");
}

/** Whether `name` is a built-in dataset. */
export function isBuiltinDataset(name: string): name is BuiltinDatasetName {
  return BUILTIN_DATASETS.some((d) => d.name === name);
}

/**
 * Reads a dataset argument as the CLI and server take it: a built-in name, a
 * saved dataset's id, or a path to a ZIP or folder (checked in that order;
 * an argument with a slash or a .zip ending is always a path).
 */
export function datasetRefFromArg(arg: string, dataDir: string, importOptions: DatasetRefImport = {}): DatasetRef {
  // "./shapes" or "data/shapes" is a path even where "shapes" alone names the built-in.
  const looksLikePath = /[/\\]/.test(arg) || /\.zip$/i.test(arg);
  if (!looksLikePath && isBuiltinDataset(arg)) return { kind: "builtin", name: arg };
  if (!looksLikePath && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(arg) && existsSync(savedDatasetPath(dataDir, arg))) {
    return { kind: "saved", id: arg };
  }
  if (existsSync(arg)) {
    const path = resolve(arg);
    const info = statSync(path);
    if (!info.isDirectory() && !/\.zip$/i.test(path)) {
      throw new RunFolderError(`${arg} is neither a folder nor a .zip file`, "give a ZIP file or a dataset folder");
    }
    return Object.keys(importOptions).length > 0
      ? { kind: "path", path, import: importOptions }
      : { kind: "path", path };
  }
  throw new RunFolderError(
    `no dataset '${arg}': it is not a built-in dataset, a saved dataset or an existing path`,
    `use one of ${BUILTIN_DATASETS.map((d) => d.name).join(", ")}, a dataset imported with 'layerlab datasets import', or a path to a ZIP or folder`,
  );
}

/** Import options a path reference may carry. */
export type DatasetRefImport = NonNullable<Extract<DatasetRef, { kind: "path" }>["import"]>;

function preprocessingOf(dataset: Dataset, fit: ResizeFit): Preprocessing {
  const [c, h, w] = dataset.shape;
  return { inputShape: [c, h, w], colorMode: c === 1 ? "grayscale" : "rgb", fit };
}

/** Loads the dataset a reference names. */
export async function loadDatasetRef(ref: DatasetRef, dataDir = defaultDataDir()): Promise<LoadedDataset> {
  switch (ref.kind) {
    case "builtin": {
      const dataset = await loadBuiltinDataset(ref.name, { dataDir, ...(ref.shapes && { shapes: ref.shapes }) });
      return { dataset, ref, preprocessing: preprocessingOf(dataset, "contain") };
    }
    case "saved": {
      const dataset = await loadSavedDataset(dataDir, ref.id);
      return { dataset, ref, preprocessing: preprocessingOf(dataset, "contain") };
    }
    case "path": {
      if (!existsSync(ref.path)) {
        throw new RunFolderError(`dataset path ${ref.path} does not exist`, "give an existing ZIP file or folder");
      }
      const { dataset, report } = await importDataset(ref.path, { ...ref.import });
      return { dataset, ref, preprocessing: preprocessingOf(dataset, report.fit) };
    }
  }
}

/** The largest built-in dataset kept for the next load (the shapes: 2.4 MB; MNIST, CIFAR-10: far more). */
const KEPT_DATASET_BYTES = 32 * 2 ** 20;

/** This thread's last built-in dataset, when small (see `loadDatasetRefKeepingBuiltin`). */
let keptBuiltin: { key: string; loaded: LoadedDataset } | null = null;

/**
 * `loadDatasetRef`, keeping the last built-in dataset it loaded, when small,
 * for the next call: a training thread's next job often trains on the same
 * one, and drawing the built-in shapes takes seconds. A built-in never changes
 * under its name and options, and training only reads it; other datasets are
 * read anew each time.
 */
export async function loadDatasetRefKeepingBuiltin(
  ref: DatasetRef,
  dataDir = defaultDataDir(),
): Promise<LoadedDataset> {
  if (ref.kind !== "builtin") return loadDatasetRef(ref, dataDir);
  const key = JSON.stringify([dataDir, ref]);
  if (keptBuiltin?.key === key) return keptBuiltin.loaded;
  const loaded = await loadDatasetRef(ref, dataDir);
  const { train, test } = loaded.dataset;
  keptBuiltin = train.images.byteLength + test.images.byteLength <= KEPT_DATASET_BYTES ? { key, loaded } : null;
  return loaded;
}
