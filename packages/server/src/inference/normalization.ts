import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Normalization } from "@layerlab/data-core";
import { decodeSafetensors } from "@layerlab/engine/safetensors";
import { NORMALIZATION_METADATA_KEY } from "@layerlab/spec";
import { HttpError } from "../http-error";

/**
 * What is wrong with `value` as the normalization of a model whose input is
 * `shape` (one finite mean and one positive std per channel, or one of each
 * for all), or null when it fits.
 */
export function normalizationProblem(value: unknown, shape: readonly number[]): string | null {
  const channels = shape.length === 3 ? shape[0]! : 1;
  const n = value as Partial<Normalization> | null;
  const fits = (xs: unknown): xs is number[] =>
    Array.isArray(xs) &&
    (xs.length === channels || xs.length === 1) &&
    xs.every((x) => typeof x === "number" && Number.isFinite(x));
  if (typeof n !== "object" || n === null || !fits(n.mean) || !fits(n.std) || n.std.some((s) => s <= 0)) {
    return `it must be {"mean": [...], "std": [...]} with ${channels === 1 ? "one" : `${channels} (one per channel) or one`} finite mean and positive std`;
  }
  return null;
}

const noNormalization = (runId: string, why: string) =>
  new HttpError(
    409,
    `run ${runId}'s normalization.json ${why}; upload the training set's per-channel {"mean": [...], "std": [...]} with PUT /api/runs/${runId}/artifacts/normalization.json`,
  );

/**
 * The normalization a run trained with: run.json's (server runs, written by
 * the runner), else normalization.json (uploaded by browser runs), else the
 * weights' `layerlab.normalization` metadata. A 409 naming normalization.json
 * when none is there or it does not fit the model: guessing mean 0, std 1
 * would answer with confidently wrong probabilities.
 */
export async function runNormalization(
  runId: string,
  dir: string,
  weights: Uint8Array,
  inputShape: readonly number[],
): Promise<Normalization> {
  const fromRun = await readFile(join(dir, "run.json"), "utf8").then(
    (t) => (JSON.parse(t) as { normalization?: Normalization }).normalization,
    () => undefined,
  );
  if (fromRun) return fromRun;
  const text = await readFile(join(dir, "normalization.json"), "utf8").catch(() => undefined);
  if (text !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw noNormalization(runId, "is not JSON");
    }
    const problem = normalizationProblem(value, inputShape);
    if (problem) throw noNormalization(runId, `does not fit the model: ${problem}`);
    return value as Normalization;
  }
  const meta = decodeSafetensors(weights).metadata[NORMALIZATION_METADATA_KEY];
  if (meta !== undefined) {
    try {
      const value = JSON.parse(meta) as unknown;
      if (normalizationProblem(value, inputShape) === null) return value as Normalization;
    } catch {
      // malformed metadata: fall through to the missing-file answer
    }
  }
  throw noNormalization(runId, "is missing (and the weights do not record one)");
}
