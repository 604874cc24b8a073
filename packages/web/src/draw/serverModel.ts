import { decodeSafetensors } from "@layerlab/engine/safetensors";
import { type ModelSpecInput, NORMALIZATION_METADATA_KEY } from "@layerlab/spec";
import { artifactUrl, getRun } from "../api/client";
import type { RunNormalization } from "../train/protocol";
import { type ModelFiles, trainer } from "../train/trainer";

/*
 * A copy of a server run's model in this page's engine worker: the server
 * answers predictions, but only a local copy gives every layer's activations
 * for the inside views. The copy uses the checkpoint and the normalisation the
 * server predicts with (packages/server/src/inference/predictor.ts), so both agree.
 */

/** What a run without a recorded normalisation is predicted with (the server's default too). */
const NO_NORMALIZATION = { mean: [0], std: [1] };

/** Number of input channels of `spec` (`[C, H, W]` inputs; anything else has one). */
export function channelsOf(spec: ModelSpecInput): number {
  const shape = (spec.input?.shape ?? []) as number[];
  return shape.length === 3 ? shape[0]! : 1;
}

/**
 * Checks a `{mean, std}` read from `source` and gives one entry per channel
 * (a single entry applies to every channel); throws an error naming `source`.
 */
export function checkNormalization(value: unknown, channels: number, source: string): RunNormalization {
  const { mean, std } = (value ?? {}) as { mean?: unknown; std?: unknown };
  const numbers = (v: unknown): v is number[] =>
    Array.isArray(v) && v.every((x) => typeof x === "number" && Number.isFinite(x));
  if (!numbers(mean) || !numbers(std) || mean.length !== std.length || std.some((s) => s <= 0)) {
    throw new Error(`${source} has no usable normalisation: expected {"mean": [...], "std": [...]} with std > 0`);
  }
  if (mean.length === channels) return { mean: [...mean], std: [...std] };
  if (mean.length === 1) return { mean: Array(channels).fill(mean[0]), std: Array(channels).fill(std[0]) };
  throw new Error(`${source} normalises ${mean.length} channels but the model takes ${channels}`);
}

/** The normalisation recorded in a safetensors file's metadata, per channel; null when it records none. */
export function normalizationFromWeights(weights: Uint8Array, channels: number): RunNormalization | null {
  const text = decodeSafetensors(weights).metadata[NORMALIZATION_METADATA_KEY];
  if (text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the weights' ${NORMALIZATION_METADATA_KEY} metadata is not JSON`);
  }
  return checkNormalization(value, channels, `the weights' ${NORMALIZATION_METADATA_KEY} metadata`);
}

/** GETs artifact `name` of run `runId`; null when the run has no such file. */
async function fetchArtifact(runId: string, name: string): Promise<Response | null> {
  let res: Response;
  try {
    res = await fetch(artifactUrl(runId, name));
  } catch {
    throw new Error("the server cannot be reached — is `layerlab serve` running?");
  }
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`the server answered ${res.status} for the run's ${name}`);
  return res;
}

/** Server run `runId`'s weights as the server predicts with them (the best checkpoint, else the last) and its normalisation. */
export async function fetchModelFiles(runId: string, channels: number): Promise<ModelFiles> {
  // The registry lists the run's files, so the page asks only for a checkpoint that exists (a browser
  // run uploads no best checkpoint; asking for it anyway logs a 404 in the console).
  const listed = new Set((await getRun(runId)).artifacts.map((a) => a.name));
  const res = await fetchArtifact(
    runId,
    listed.has("weights.best.safetensors") ? "weights.best.safetensors" : "weights.safetensors",
  );
  if (!res) throw new Error(`run ${runId} has no weights on the server yet`);
  const weights = new Uint8Array(await res.arrayBuffer());
  // Server runs record it in their weights; browser runs uploaded to the server keep it in normalization.json.
  let normalization = normalizationFromWeights(weights, channels);
  if (!normalization) {
    const json = await fetchArtifact(runId, "normalization.json");
    normalization = checkNormalization(
      json ? await json.json() : NO_NORMALIZATION,
      channels,
      `run ${runId}'s normalization.json`,
    );
  }
  return { weights, normalization };
}

/** Loads finished server run `runId` (whose spec is `spec`) into this page's engine worker; a loaded run resolves at once. */
export function loadServerModel(runId: string, spec: ModelSpecInput): Promise<void> {
  return trainer.loadModel(runId, spec, () => fetchModelFiles(runId, channelsOf(spec)));
}

/** Softmax of a model's final outputs (its logits), as the engine's `predict` turns them into probabilities. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  for (let i = 0; i < logits.length; i++) out[i] = Math.exp(logits[i]! - max) / sum;
  return out;
}
