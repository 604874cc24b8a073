import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeSafetensors } from "@layerlab/engine/safetensors";
import { type ExportFile, type ExportFormat, exportModel, NORMALIZATION_METADATA_KEY } from "../export";
import type { Normalization } from "../model-view";
import { parseNormalization } from "../native";

/** Where `exportRunFolder` writes, inside the run folder. */
export const EXPORT_SUBDIR = "export";

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

/**
 * Exports a run folder's model (`spec.json` + the best or last weights) into
 * `<runDir>/export/`, each file written atomically; returns the files' paths.
 */
export async function exportRunFolder(
  runDir: string,
  formats: ExportFormat | "all" | ExportFormat[],
  options: RunFolderExportOptions = {},
): Promise<string[]> {
  const specText = (await readRunFile(runDir, "spec.json")).toString("utf8");
  const useBest = options.checkpoint !== "last" && existsSync(join(runDir, BEST_WEIGHTS));
  const weights = new Uint8Array(await readRunFile(runDir, useBest ? BEST_WEIGHTS : "weights.safetensors"));
  let spec: unknown;
  try {
    spec = JSON.parse(specText);
  } catch (err) {
    throw new Error(`export: ${join(runDir, "spec.json")} is not valid JSON (${(err as Error).message})`);
  }
  const normalization = options.normalization ?? (await findNormalization(runDir, weights));
  const files: ExportFile[] = exportModel(
    normalization ? { spec, weights, normalization, format: formats } : { spec, weights, format: formats },
  );
  const outDir = join(runDir, EXPORT_SUBDIR);
  await mkdir(outDir, { recursive: true });
  const paths: string[] = [];
  for (const file of files) {
    const path = join(outDir, file.name);
    await writeAtomic(path, file.bytes);
    paths.push(path);
  }
  return paths;
}
