import { decodeSafetensors, encodeSafetensors, type HostTensor } from "@layerlab/engine/safetensors";

/*
 * A browser run's resume point, kept at every epoch end: its weights, its
 * optimizer state and its progress in one safetensors file, laid out as the
 * runner's optimizer.safetensors ("model:" and "optimizer:" tensors, the
 * progress as JSON under "layerlab.resume"), so that one file commits all of
 * them together and the server stores it under the same name. The progress
 * adds what a browser needs to continue alike: the training seconds so far
 * and the sample limit the run trains on.
 */

const MODEL_PREFIX = "model:";
const OPTIMIZER_PREFIX = "optimizer:";
const STATE_KEY = "layerlab.resume";

/** The file name a resume point has in a run's folder. */
export const RESUME_POINT_FILE = "optimizer.safetensors";

/** The progress a browser run's resume point records besides its tensors. */
export interface BrowserResumeState {
  /** Epochs completed: a resumed run starts with the next one. */
  epochsDone: number;
  /** The best validation metric so far (the early-stopping rule's), null before any. */
  bestMetric: number | null;
  bestEpoch: number | null;
  /** Seconds the run has trained up to this epoch's end, over every session so far. */
  seconds: number;
  /** The run's sample limit (first N training samples), null for all. */
  limit: number | null;
}

/** A decoded resume point: weights and optimizer state as the engine saves them, and the progress. */
export interface DecodedBrowserResumePoint {
  weights: Uint8Array;
  optimizerState: Uint8Array;
  state: BrowserResumeState;
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
export function encodeBrowserResumePoint(
  weights: Uint8Array,
  optimizerState: Uint8Array,
  state: BrowserResumeState,
): Uint8Array {
  const tensors = {
    ...prefixed(MODEL_PREFIX, decodeSafetensors(weights).tensors),
    ...prefixed(OPTIMIZER_PREFIX, decodeSafetensors(optimizerState).tensors),
  };
  return encodeSafetensors(tensors, { [STATE_KEY]: JSON.stringify(state) });
}

/** The progress of resume point `bytes`; throws naming the problem when the file is not one. */
export function browserResumeStateOf(bytes: Uint8Array): BrowserResumeState {
  const text = decodeSafetensors(bytes).metadata[STATE_KEY];
  if (text === undefined) throw new Error(`it has no '${STATE_KEY}' metadata, so it is not a resume point`);
  const state = JSON.parse(text) as Partial<BrowserResumeState>;
  if (!Number.isInteger(state.epochsDone) || (state.epochsDone ?? -1) < 0)
    throw new Error("its progress has no epochsDone, so it is not a browser run's resume point");
  return {
    epochsDone: state.epochsDone!,
    bestMetric: state.bestMetric ?? null,
    bestEpoch: state.bestEpoch ?? null,
    seconds: typeof state.seconds === "number" && Number.isFinite(state.seconds) ? state.seconds : 0,
    limit: state.limit ?? null,
  };
}

/** Unpacks a resume point; throws naming what is missing when the file is not one. */
export function decodeBrowserResumePoint(bytes: Uint8Array): DecodedBrowserResumePoint {
  const state = browserResumeStateOf(bytes);
  const { tensors } = decodeSafetensors(bytes);
  return {
    weights: encodeSafetensors(unprefixed(MODEL_PREFIX, tensors)),
    optimizerState: encodeSafetensors(unprefixed(OPTIMIZER_PREFIX, tensors)),
    state,
  };
}
