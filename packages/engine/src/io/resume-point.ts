import { decodeSafetensors, encodeSafetensors, type HostTensor } from "./safetensors";

/*
 * A run's resume point (optimizer.safetensors): the weights, the optimizer
 * state and the progress in one safetensors file — tensors prefixed "model:"
 * and "optimizer:", the progress as JSON metadata — so that one atomic write
 * commits all of them together and a kill can never pair weights of one epoch
 * with optimizer moments of another. The runner and the browser store their
 * own progress fields in the same layout.
 */

const MODEL_PREFIX = "model:";
const OPTIMIZER_PREFIX = "optimizer:";
/** The metadata key holding a resume point's progress (JSON). */
export const RESUME_STATE_KEY = "layerlab.resume";

/** A decoded resume point: weights and optimizer state as the engine saves them, and the progress. */
export interface ResumePoint<State> {
  weights: Uint8Array;
  optimizerState: Uint8Array;
  state: State;
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
export function encodeResumePoint(weights: Uint8Array, optimizerState: Uint8Array, state: unknown): Uint8Array {
  const tensors = {
    ...prefixed(MODEL_PREFIX, decodeSafetensors(weights).tensors),
    ...prefixed(OPTIMIZER_PREFIX, decodeSafetensors(optimizerState).tensors),
  };
  return encodeSafetensors(tensors, { [RESUME_STATE_KEY]: JSON.stringify(state) });
}

/** The progress of resume point `bytes`, parsed but not checked; throws when the file is not a resume point. */
export function resumeStateOf(bytes: Uint8Array): unknown {
  const text = decodeSafetensors(bytes).metadata[RESUME_STATE_KEY];
  if (text === undefined) throw new Error(`it has no '${RESUME_STATE_KEY}' metadata, so it is not a resume point`);
  return JSON.parse(text);
}

/** Unpacks a resume point whose progress `checkState` turns into a `State` (throwing, naming what is wrong). */
export function decodeResumePoint<State>(bytes: Uint8Array, checkState: (raw: unknown) => State): ResumePoint<State> {
  const state = checkState(resumeStateOf(bytes));
  const { tensors } = decodeSafetensors(bytes);
  return {
    weights: encodeSafetensors(unprefixed(MODEL_PREFIX, tensors)),
    optimizerState: encodeSafetensors(unprefixed(OPTIMIZER_PREFIX, tensors)),
    state,
  };
}
