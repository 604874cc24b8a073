import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeSafetensors } from "@layerlab/engine/safetensors";
import {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportSource,
  exportModel,
  FORMAT_FILES,
  NORMALIZATION_METADATA_KEY,
  resolveFormats,
} from "../export";
import { type Normalization, readModel } from "../model-view";
import { parseNormalization } from "../native";
import { bundleReadme } from "../readme";

/** Where `exportRunFolder` writes, inside the run folder. */
export const EXPORT_SUBDIR = "export";
/** The export folder's record of what it holds, written after every other file. */
export const EXPORT_MANIFEST = "manifest.json";

/**
 * What an export folder holds: one checkpoint, in one or more formats. A
 * folder never mixes checkpoints; an export of another one clears it first.
 */
export interface ExportManifest {
  format: "layerlab.export/1";
  /** The checkpoint every file holds, with its size and modification time when exported. */
  checkpoint: ExportSource & { bytes: number; modified: string };
  /** SHA-256 of the run's spec.json, hex. */
  specSha256: string;
  /** The normalization recorded in the files; null when the run has none. */
  normalization: Normalization | null;
  /** The formats present, in canonical order. */
  formats: ExportFormat[];
  /** The files present besides the manifest. */
  files: string[];
  /** When the folder last changed (ISO 8601). */
  exportedAt: string;
}

/** The result of `exportRunFolderWithManifest`. */
export interface RunFolderExport {
  /** The requested formats' files, the README and the manifest. */
  paths: string[];
  manifest: ExportManifest;
  /** True when the folder already held the requested formats of this checkpoint and nothing was written. */
  reused: boolean;
}

/** Every file an export folder may hold: cleared before another checkpoint is exported, even without a manifest. */
const EXPORT_FILE_NAMES = [...new Set(Object.values(FORMAT_FILES).flat()), "README.md"];

/** Options of `exportRunFolder`. */
export interface RunFolderExportOptions {
  /** The training set's normalization; by default read from the run folder (see `exportRunFolder`). */
  normalization?: Normalization;
  /**
   * Which checkpoint to export: the best by the validation metric (the default,
   * and what `predict` answers with; the last one when there is no best) or the last.
   */
  checkpoint?: "best" | "last";
}

const BEST_WEIGHTS = "weights.best.safetensors";

async function readRunFile(runDir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(runDir, name));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error(`export: ${join(runDir, name)} does not exist; is ${runDir} a finished LayerLab run folder?`);
    }
    throw new Error(`export: cannot read ${join(runDir, name)}: ${(err as Error).message}`);
  }
}

/**
 * The normalization a run recorded: `normalization.json`, else a
 * `normalization` field of `config.json` holding {mean, std}, else the
 * weights' `layerlab.normalization` metadata; undefined when none is there.
 */
async function findNormalization(runDir: string, weights: Uint8Array): Promise<Normalization | undefined> {
  const fromFile = await readFile(join(runDir, "normalization.json"), "utf8").catch(() => undefined);
  if (fromFile !== undefined) return parseNormalization(fromFile);
  const config = await readFile(join(runDir, "config.json"), "utf8").catch(() => undefined);
  if (config !== undefined) {
    try {
      const norm = (JSON.parse(config) as { normalization?: unknown }).normalization as Normalization | undefined;
      if (norm && Array.isArray(norm.mean) && Array.isArray(norm.std)) return { mean: norm.mean, std: norm.std };
    } catch {
      // a broken config.json is not the exporter's concern; the weights may still say it
    }
  }
  const meta = decodeSafetensors(weights).metadata[NORMALIZATION_METADATA_KEY];
  return meta === undefined ? undefined : parseNormalization(meta);
}

/** Writes one file through a temporary name and a rename, so readers never see half of it. */
async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The epoch a checkpoint was saved after (its `layerlab.epoch` metadata), else null. */
function epochOf(weights: Uint8Array): number | null {
  try {
    const epoch = Number(decodeSafetensors(weights).metadata["layerlab.epoch"]);
    return Number.isInteger(epoch) && epoch >= 0 ? epoch : null;
  } catch {
    return null;
  }
}

/** The manifest of `<runDir>/export/`, or null when there is none (or an unreadable one). */
export async function readExportManifest(runDir: string): Promise<ExportManifest | null> {
  const text = await readFile(join(runDir, EXPORT_SUBDIR, EXPORT_MANIFEST), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const manifest = JSON.parse(text) as ExportManifest;
    return manifest.format === "layerlab.export/1" ? manifest : null;
  } catch {
    return null;
  }
}

/** Exports of one folder run one at a time, so that two requests never interleave two checkpoints' files. */
const folderQueues = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(key: string, job: () => Promise<T>): Promise<T> {
  const next = (folderQueues.get(key) ?? Promise.resolve()).catch(() => {}).then(job);
  folderQueues.set(key, next);
  try {
    return await next;
  } finally {
    if (folderQueues.get(key) === next) folderQueues.delete(key);
  }
}

/**
 * Exports a run folder's model (`spec.json` + the best or last weights) into
 * `<runDir>/export/`, each file written atomically and the manifest last.
 * The folder holds one checkpoint: when it already holds this one, only
 * missing formats are written (nothing when none is missing); when it holds
 * another (or an unknown one), it is cleared first.
 */
export async function exportRunFolderWithManifest(
  runDir: string,
  formats: ExportFormat | "all" | ExportFormat[],
  options: RunFolderExportOptions = {},
): Promise<RunFolderExport> {
  const requested = resolveFormats(formats);
  const specBytes = await readRunFile(runDir, "spec.json");
  const file =
    options.checkpoint !== "last" && existsSync(join(runDir, BEST_WEIGHTS)) ? BEST_WEIGHTS : "weights.safetensors";
  const [weightsBytes, weightsInfo] = await Promise.all([readRunFile(runDir, file), stat(join(runDir, file))]);
  const weights = new Uint8Array(weightsBytes);
  let spec: unknown;
  try {
    spec = JSON.parse(specBytes.toString("utf8"));
  } catch (err) {
    throw new Error(`export: ${join(runDir, "spec.json")} is not valid JSON (${(err as Error).message})`);
  }
  const normalization = options.normalization ?? (await findNormalization(runDir, weights));
  const normalizationRecord = normalization ? { mean: normalization.mean, std: normalization.std } : null;
  const source: ExportSource = { file, epoch: epochOf(weights), sha256: sha256(weights) };
  const specSha256 = sha256(specBytes);
  const outDir = join(runDir, EXPORT_SUBDIR);
  const pathsOf = (fs: ExportFormat[]) =>
    [...fs.flatMap((f) => FORMAT_FILES[f]), "README.md", EXPORT_MANIFEST].map((name) => join(outDir, name));

  return oneAtATime(outDir, async () => {
    const previous = await readExportManifest(runDir);
    const sameCheckpoint =
      previous !== null &&
      previous.checkpoint.file === file &&
      previous.checkpoint.sha256 === source.sha256 &&
      previous.specSha256 === specSha256 &&
      JSON.stringify(previous.normalization) === JSON.stringify(normalizationRecord);
    const held = sameCheckpoint
      ? previous.formats.filter((f) => FORMAT_FILES[f].every((n) => existsSync(join(outDir, n))))
      : [];
    const missing = requested.filter((f) => !held.includes(f));
    if (sameCheckpoint && missing.length === 0 && held.length === previous.formats.length) {
      return { paths: pathsOf(requested), manifest: previous, reused: true };
    }
    await mkdir(outDir, { recursive: true });
    // The manifest goes first and comes back last: a folder without one is rebuilt, never trusted.
    await rm(join(outDir, EXPORT_MANIFEST), { force: true });
    if (!sameCheckpoint) {
      const stale = new Set([...EXPORT_FILE_NAMES, ...(previous?.files ?? [])]);
      for (const name of stale) if (!name.includes("/")) await rm(join(outDir, name), { force: true });
    }
    const request = { spec, weights, format: missing, source };
    const written = missing.length === 0 ? [] : exportModel(normalization ? { ...request, normalization } : request);
    for (const f of written) if (f.name !== "README.md") await writeAtomic(join(outDir, f.name), f.bytes);
    const now = EXPORT_FORMATS.filter((f) => held.includes(f) || missing.includes(f));
    const view = readModel(spec, weights, normalization);
    await writeAtomic(join(outDir, "README.md"), new TextEncoder().encode(bundleReadme(view, now, source)));
    const manifest: ExportManifest = {
      format: "layerlab.export/1",
      checkpoint: { ...source, bytes: weights.length, modified: weightsInfo.mtime.toISOString() },
      specSha256,
      normalization: normalizationRecord,
      formats: now,
      files: [...now.flatMap((f) => FORMAT_FILES[f]), "README.md"],
      exportedAt: new Date().toISOString(),
    };
    await writeAtomic(
      join(outDir, EXPORT_MANIFEST),
      new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    );
    return { paths: pathsOf(requested), manifest, reused: false };
  });
}

/**
 * Exports a run folder's model into `<runDir>/export/` (see
 * `exportRunFolderWithManifest`); returns the paths of the requested formats'
 * files, the README and the manifest, all current.
 */
export async function exportRunFolder(
  runDir: string,
  formats: ExportFormat | "all" | ExportFormat[],
  options: RunFolderExportOptions = {},
): Promise<string[]> {
  return (await exportRunFolderWithManifest(runDir, formats, options)).paths;
}
