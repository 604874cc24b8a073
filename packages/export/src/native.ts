import { decodeSafetensors } from "@layerlab/engine/safetensors";
import type { ModelSpec } from "@layerlab/spec";
import { NORMALIZATION_METADATA_KEY } from "./export";
import { type Normalization, readModel } from "./model-view";

/** A native bundle read back: what LayerLab needs to predict with it (`buildModel(spec)`, `loadWeights(model, weights)`). */
export interface NativeModel {
  spec: ModelSpec;
  weights: Uint8Array;
  normalization?: Normalization;
}

/**
 * Reads spec.json + weights.safetensors (as exported, or from a run folder)
 * and checks that they fit each other; errors name the file and the problem.
 */
export function importNative(specJson: string | Uint8Array, weights: Uint8Array): NativeModel {
  const textOf = typeof specJson === "string" ? specJson : new TextDecoder().decode(specJson);
  let raw: unknown;
  try {
    raw = JSON.parse(textOf);
  } catch (err) {
    throw new Error(`import: spec.json is not valid JSON (${(err as Error).message}); export the model again`);
  }
  const normText = readMetadata(weights)[NORMALIZATION_METADATA_KEY];
  const normalization = normText === undefined ? undefined : parseNormalization(normText);
  const view = readModel(raw, weights, normalization);
  return normalization ? { spec: view.spec, weights, normalization } : { spec: view.spec, weights };
}

function readMetadata(weights: Uint8Array): Record<string, string> {
  try {
    return decodeSafetensors(weights).metadata;
  } catch (err) {
    throw new Error(`import: weights.safetensors cannot be read: ${(err as Error).message}`);
  }
}

/** Parses the normalization recorded in safetensors metadata. */
export function parseNormalization(text: string): Normalization {
  try {
    const n = JSON.parse(text) as Normalization;
    if (Array.isArray(n.mean) && Array.isArray(n.std)) return { mean: n.mean, std: n.std };
  } catch {
    // fall through to the error below
  }
  throw new Error(
    `import: weights.safetensors has a malformed '${NORMALIZATION_METADATA_KEY}' entry; it must be {"mean": [...], "std": [...]}`,
  );
}
