import { stat } from "node:fs/promises";
import { join } from "node:path";
import {
  BUILTIN_DATASETS,
  type BuiltinDatasetName,
  DatasetUnavailableError,
  loadBuiltinDataset,
  readDatasetFile,
  savedDatasetPath,
  writeDatasetFile,
} from "@layerlab/data-node";
import type { Registry } from "../db/registry";
import { found, HttpError } from "../http-error";

/*
 * Datasets as the server serves them: one LAYERLAB-DATASET-1 file per dataset
 * (an imported dataset's own file, a built-in's written on first use), and a
 * copy of its test split alone for showing and re-evaluating runs' predictions.
 */

/** What finding a dataset's files takes. */
export interface ServedDatasets {
  dataDir: string;
  registry: Registry;
  /** Where CIFAR-10 is downloaded from (a test's closed port, or the default). */
  cifar10Url?: string | null | undefined;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Files being written now, by path: a page asks for a dataset and its test split at once, and both must wait for one write. */
const writing = new Map<string, Promise<void>>();

/** Makes the file at `path` with `write` unless it exists; concurrent callers share one write (each write is atomic on its own). */
async function ensureFile(path: string, write: () => Promise<void>): Promise<void> {
  if (await exists(path)) return;
  let pending = writing.get(path);
  if (!pending) {
    pending = write().finally(() => writing.delete(path));
    writing.set(path, pending);
  }
  await pending;
}

/** Folder caching built-in datasets in the served binary form. */
function servedCacheDir(dataDir: string): string {
  return join(dataDir, "cache", "served");
}

/** The served LAYERLAB-DATASET-1 file of dataset `id`, written on first use for a built-in; 404 for an unknown id. */
export async function servedDatasetFile(ctx: ServedDatasets, id: string): Promise<string> {
  const { dataDir, registry, cifar10Url } = ctx;
  const builtin = BUILTIN_DATASETS.find((d) => d.name === id);
  if (!builtin) {
    found(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) ? await registry.getDataset(id) : undefined, `dataset ${id}`);
    return savedDatasetPath(dataDir, id);
  }
  const path = join(servedCacheDir(dataDir), `${id}.lldata`);
  await ensureFile(path, async () => {
    const dataset = await loadBuiltinDataset(id as BuiltinDatasetName, {
      dataDir,
      ...(cifar10Url && { cifar10Url }),
    }).catch((err: unknown) => {
      // Not the client's mistake and not a crash: the server cannot reach the data; the message says where to put the files.
      if (err instanceof DatasetUnavailableError) throw new HttpError(503, err.message);
      throw err;
    });
    await writeDatasetFile(path, dataset);
  });
  return path;
}

/** The test split of dataset `id` alone (no training images), for showing and evaluating a run's predictions. */
export async function servedTestFile(ctx: ServedDatasets, id: string): Promise<string> {
  const source = await servedDatasetFile(ctx, id);
  const root = join(ctx.dataDir, "cache", "served-test");
  const path = savedDatasetPath(root, id);
  await ensureFile(path, async () => {
    const dataset = await readDatasetFile(source);
    const noTrain = { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 };
    await writeDatasetFile(path, { ...dataset, train: noTrain });
  });
  return path;
}
