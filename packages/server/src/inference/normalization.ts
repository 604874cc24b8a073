import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Normalization, normalizationProblem } from "@layerlab/data-core";
import { decodeSafetensors } from "@layerlab/engine/safetensors";
import { NORMALIZATION_METADATA_KEY } from "@layerlab/spec";
import { HttpError } from "../http-error";

export { normalizationProblem } from "@layerlab/data-core";

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
  if (fromRun) {
    const problem = normalizationProblem(fromRun, inputShape);
    if (problem)
      throw new HttpError(
        409,
        `run ${runId}'s run.json records a normalization that does not fit the model: ${problem}`,
      );
    return fromRun;
  }
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
