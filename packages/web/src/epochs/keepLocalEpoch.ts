import { decodeSafetensors, encodeSafetensors } from "@layerlab/engine/safetensors";
import {
  epochCheckpointsKept,
  keptEpochCheckpoints,
  NORMALIZATION_METADATA_KEY,
  TrainingConfig,
  type TrainingConfigInput,
} from "@layerlab/spec";
import { decodeBrowserResumePoint } from "../train/resumePoint";
import { pruneLocalEpochs, putLocalEpoch } from "./localEpochStore";

/** Each run's epochs are stored one after another: a fast run's next epoch must not prune before this one is in. */
const queues = new Map<string, Promise<void>>();

/**
 * Keeps the epoch that browser run `runId`'s resume point `point` ends in this
 * browser's epoch store — its weights, with the epoch and the normalisation in
 * the metadata, as a runner's epochs/epoch-NNN.safetensors — and drops the
 * epochs its config's keepEpochCheckpoints no longer keeps.
 */
export function keepLocalEpoch(runId: string, config: TrainingConfigInput, point: Uint8Array): Promise<void> {
  const next = (queues.get(runId) ?? Promise.resolve()).then(async () => {
    const parsed = TrainingConfig.safeParse(config);
    const planned = parsed.success ? parsed.data.epochs : (config.epochs ?? 1);
    const keep = epochCheckpointsKept(parsed.success ? parsed.data : config);
    const { weights, state } = decodeBrowserResumePoint(point);
    if (keep > 0) {
      const metadata: Record<string, string> = { "layerlab.epoch": String(state.epochsDone) };
      if (state.normalization) metadata[NORMALIZATION_METADATA_KEY] = JSON.stringify(state.normalization);
      await putLocalEpoch(runId, state.epochsDone, encodeSafetensors(decodeSafetensors(weights).tensors, metadata));
    }
    await pruneLocalEpochs(runId, keptEpochCheckpoints(planned, keep, state.epochsDone));
  });
  const settled = next.catch(() => {});
  queues.set(runId, settled);
  void settled.then(() => queues.get(runId) === settled && queues.delete(runId));
  return next;
}
