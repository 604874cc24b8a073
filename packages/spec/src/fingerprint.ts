import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { TrainingConfig, type TrainingConfigInput } from "./config";
import { layerGraph } from "./graph";
import {
  ACTIVATION_DEFAULT_ALPHA,
  type Activation,
  type Layer,
  MODEL_FORMAT_V1,
  ModelSpec,
  type ModelSpecInput,
  normalizeActivation,
} from "./model";
import { poolStride } from "./shapes";

/** sha256 of some bytes, as lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

/** Bump when the canonical form changes, so old fingerprints stop matching rather than collide. */
const FINGERPRINT_VERSION = 1;

/**
 * JSON with object keys sorted (by UTF-16 code unit) at every depth, no
 * whitespace, `undefined` properties dropped and non-finite numbers as null:
 * equal values give equal text. Throws a TypeError on cycles.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, seen: Set<object>): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "bigint":
      return JSON.stringify(value.toString());
    case "object":
      break;
    default:
      return "null";
  }
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError("canonicalJson: the value contains a cycle");
  seen.add(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = `[${obj.map((v) => write(v, seen)).join(",")}]`;
  } else if (typeof (obj as { toJSON?: unknown }).toJSON === "function") {
    out = write((obj as { toJSON(): unknown }).toJSON(), seen);
  } else {
    const record = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const v = record[key];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      parts.push(`${JSON.stringify(key)}:${write(v, seen)}`);
    }
    out = `{${parts.join(",")}}`;
  }
  seen.delete(obj);
  return out;
}

/** `{fn, alpha}` with alpha only where the function takes one (a relu's alpha changes nothing). */
function canonicalActivation(a: Activation): { fn: string; alpha?: number } {
  const { fn, alpha } = normalizeActivation(a);
  return ACTIVATION_DEFAULT_ALPHA[fn] === undefined || alpha === undefined ? { fn } : { fn, alpha };
}

/** One layer in the single form shared by all of its equivalent spellings. */
function canonicalLayer(layer: Layer): object {
  switch (layer.kind) {
    case "dense":
    case "conv2d":
      return {
        ...layer,
        activation: layer.activation === undefined ? undefined : canonicalActivation(layer.activation),
      };
    case "maxPool2d":
    case "avgPool2d":
      return { ...layer, stride: poolStride(layer) };
    case "activation":
      return {
        kind: layer.kind,
        ...canonicalActivation(layer.alpha === undefined ? layer.fn : { fn: layer.fn, alpha: layer.alpha }),
      };
    default:
      return layer;
  }
}

/**
 * A layer's place in the graph by the indices it takes, not by ids (renaming a layer trains the same
 * model); nothing for a layer that takes the previous one.
 */
function canonicalPlace(layer: object, sources: number[], index: number): object {
  const { id: _id, inputs: _inputs, ...rest } = layer as { id?: string; inputs?: string[] };
  const previousOnly = sources.length === 1 && sources[0] === index - 1;
  return previousOnly ? rest : { ...rest, inputs: sources };
}

/**
 * A sha256 (hex) of everything that affects training: the spec (without its
 * name), the config and the dataset id, with defaults filled and equivalent
 * spellings made equal. Two runs with the same fingerprint train the same
 * model the same way (duplicate detection). Throws when the spec or config is
 * invalid — check them with `analyzeSpec`/`validateConfig` first.
 */
export function configFingerprint(
  spec: ModelSpecInput,
  config: TrainingConfigInput,
  extra: { dataset?: string } = {},
): string {
  const parsedSpec = ModelSpec.safeParse(spec);
  if (!parsedSpec.success)
    throw new Error("configFingerprint: the spec is invalid — run analyzeSpec and fix its errors");
  const parsedConfig = TrainingConfig.safeParse(config);
  if (!parsedConfig.success) {
    throw new Error("configFingerprint: the config is invalid — run validateConfig and fix its errors");
  }
  const { name: _name, ...trainedSpec } = parsedSpec.data;
  const graph = layerGraph(trainedSpec.layers);
  const chain = graph.sources.every((from, i) => from.length === 1 && from[0] === i - 1);
  // The default normalization is left out, so fingerprints from before the field existed still match.
  // How many epoch checkpoints are kept changes what is stored, not what is trained: never part of it.
  const { normalization, crossValidation, keepEpochCheckpoints: _kept, ...configRest } = parsedConfig.data;
  const canonical = {
    version: FINGERPRINT_VERSION,
    spec: {
      ...trainedSpec,
      // A chain is fingerprinted as before graphs existed, so the runs of then still match.
      format: chain ? MODEL_FORMAT_V1 : trainedSpec.format,
      layers: trainedSpec.layers.map((layer, i) => canonicalPlace(canonicalLayer(layer), graph.sources[i]!, i)),
    },
    config: {
      ...(normalization === "per-channel" ? configRest : { ...configRest, normalization }),
      ...(crossValidation !== null && { crossValidation }),
    },
    dataset: extra.dataset ?? null,
  };
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(canonical))));
}
