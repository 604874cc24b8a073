import { decodeResumePoint, encodeResumePoint, type ResumePoint, resumeStateOf } from "@layerlab/engine/resume-point";

/*
 * A browser run's resume point, kept at every epoch end: its weights, its
 * optimizer state and its progress in one safetensors file, laid out as the
 * runner's optimizer.safetensors ("model:" and "optimizer:" tensors, the
 * progress as JSON under "layerlab.resume"), so that one file commits all of
 * them together and the server stores it under the same name. The progress
 * adds what a browser needs to continue alike: the training seconds so far
 * and the sample limit the run trains on.
 */

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
  /**
   * How the run normalises pixels: a server keeping the epoch's weights from this file runs them with it
   * before the run has uploaded its normalization.json (absent in resume points from before it was recorded).
   */
  normalization?: { mean: number[]; std: number[] };
}

/** A decoded browser resume point: weights and optimizer state as the engine saves them, and the progress. */
export type DecodedBrowserResumePoint = ResumePoint<BrowserResumeState>;

/** Packs safetensors weights, safetensors optimizer state and the progress into one resume point. */
export function encodeBrowserResumePoint(
  weights: Uint8Array,
  optimizerState: Uint8Array,
  state: BrowserResumeState,
): Uint8Array {
  return encodeResumePoint(weights, optimizerState, state);
}

/** The progress of resume point `bytes`; throws naming the problem when the file is not one. */
export function browserResumeStateOf(bytes: Uint8Array): BrowserResumeState {
  return checkBrowserResumeState(resumeStateOf(bytes));
}

/** A resume point's parsed progress as a browser run's; throws naming the problem when it is not one. */
function checkBrowserResumeState(raw: unknown): BrowserResumeState {
  const state = (raw ?? {}) as Partial<BrowserResumeState>;
  if (!Number.isInteger(state.epochsDone) || (state.epochsDone ?? -1) < 0)
    throw new Error("its progress has no epochsDone, so it is not a browser run's resume point");
  return {
    epochsDone: state.epochsDone!,
    bestMetric: state.bestMetric ?? null,
    bestEpoch: state.bestEpoch ?? null,
    seconds: typeof state.seconds === "number" && Number.isFinite(state.seconds) ? state.seconds : 0,
    limit: state.limit ?? null,
    ...(state.normalization && { normalization: state.normalization }),
  };
}

/** Unpacks a resume point; throws naming what is missing when the file is not one. */
export function decodeBrowserResumePoint(bytes: Uint8Array): DecodedBrowserResumePoint {
  return decodeResumePoint(bytes, checkBrowserResumeState);
}
