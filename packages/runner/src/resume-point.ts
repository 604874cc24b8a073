import { decodeSafetensors, encodeSafetensors, type HostTensor } from "@layerlab/engine";
import type { RunMetrics } from "./metrics";

/*
 * optimizer.safetensors is the run's resume point: the weights, the optimizer
 * state and the progress (epochs done, best metric, metrics so far) in one
 * file, so that one atomic rename commits all of them together. A kill can
 * never pair weights of one epoch with optimizer moments of another.
 */

const MODEL_PREFIX = "model:";
const OPTIMIZER_PREFIX = "optimizer:";
const STATE_KEY = "layerlab.resume";

/** The progress a resume point records besides its tensors. */
export interface ResumeState {
  epochsDone: number;
  bestMetric: number | null;
  bestEpoch: number | null;
  metrics: RunMetrics;
}

/** A decoded resume point: weights and optimizer state as the engine saves them, and the progress. */
export interface DecodedResumePoint {
  weights: Uint8Array;
  optimizerState: Uint8Array;
  state: ResumeState;
}

function prefixed(prefix: string, tensors: Record<string, HostTensor>): Record<string, HostTensor> {
  return Object.fromEntries(Object.entries(tensors).map(([k, v]) => [prefix + k, v]));
}

function unprefixed(prefix: string, tensors: Record<string, HostTensor>): Record<string, HostTensor> {
  return Object.fromEntries(
    Object.entries(tensors)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

/** Packs safetensors weights, safetensors optimizer state and the progress into one resume point. */
export function encodeResumePoint(weights: Uint8Array, optimizerState: Uint8Array, state: ResumeState): Uint8Array {
  const tensors = {
    ...prefixed(MODEL_PREFIX, decodeSafetensors(weights).tensors),
    ...prefixed(OPTIMIZER_PREFIX, decodeSafetensors(optimizerState).tensors),
  };
  return encodeSafetensors(tensors, { [STATE_KEY]: JSON.stringify(state) });
}

/** Unpacks a resume point; throws naming what is missing when the file is not one. */
export function decodeResumePoint(bytes: Uint8Array): DecodedResumePoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const stateText = metadata[STATE_KEY];
  if (stateText === undefined) throw new Error(`it has no '${STATE_KEY}' metadata, so it is not a resume point`);
  return {
    weights: encodeSafetensors(unprefixed(MODEL_PREFIX, tensors)),
    optimizerState: encodeSafetensors(unprefixed(OPTIMIZER_PREFIX, tensors)),
    state: JSON.parse(stateText) as ResumeState,
  };
}
