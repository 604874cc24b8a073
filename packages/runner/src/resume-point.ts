import {
  decodeResumePoint as decodeResumeFile,
  encodeResumePoint as encodeResumeFile,
  type ResumePoint,
} from "@layerlab/engine/resume-point";
import type { RunMetrics } from "./metrics";

/*
 * optimizer.safetensors is the run's resume point: the weights, the optimizer
 * state and the progress (epochs done, best metric, metrics so far) in one
 * file, so that one atomic rename commits all of them together. A kill can
 * never pair weights of one epoch with optimizer moments of another.
 */

/** The progress a resume point records besides its tensors. */
export interface ResumeState {
  epochsDone: number;
  bestMetric: number | null;
  bestEpoch: number | null;
  metrics: RunMetrics;
}

/** A decoded resume point: weights and optimizer state as the engine saves them, and the progress. */
export type DecodedResumePoint = ResumePoint<ResumeState>;

/** Packs safetensors weights, safetensors optimizer state and the progress into one resume point. */
export function encodeResumePoint(weights: Uint8Array, optimizerState: Uint8Array, state: ResumeState): Uint8Array {
  return encodeResumeFile(weights, optimizerState, state);
}

/** Unpacks a resume point; throws naming what is missing when the file is not one. */
export function decodeResumePoint(bytes: Uint8Array): DecodedResumePoint {
  return decodeResumeFile(bytes, (raw) => raw as ResumeState);
}
