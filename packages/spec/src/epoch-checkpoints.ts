/*
 * Which epochs' weights a run keeps, so that a learner can scrub back through
 * training. One rule for every place that trains (runner, browser, server):
 * with `keep` slots and `planned` epochs, the kept epochs are spread evenly
 * over 1…planned, the first and the last always among them; while the run is
 * going its latest epoch is kept too, so that a run that stops early (early
 * stopping, an abort) still has its last state. The count never exceeds
 * `keep`: a run that has not reached its last planned epoch has used at most
 * keep − 1 of the planned slots.
 */

/** How many epoch checkpoints a run keeps unless its config says otherwise. */
export const DEFAULT_KEEP_EPOCH_CHECKPOINTS = 20;

/** The folder of a run (beside weights.safetensors) holding its per-epoch weights. */
export const EPOCH_CHECKPOINT_DIR = "epochs";

/** How many epoch checkpoints the views are built for: the largest `keepEpochCheckpoints` accepts. */
export const MAX_KEEP_EPOCH_CHECKPOINTS = 1000;

/** `epoch-003.safetensors`: the file of epoch `epoch`'s weights inside EPOCH_CHECKPOINT_DIR (3 digits or more, so names sort). */
export function epochCheckpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(3, "0")}.safetensors`;
}

/** The epoch a file name of EPOCH_CHECKPOINT_DIR holds, or null for any other name (a temporary file, say). */
export function epochOfCheckpointName(name: string): number | null {
  const m = /^epoch-(\d{3,})\.safetensors$/.exec(name);
  if (!m) return null;
  const epoch = Number(m[1]);
  return Number.isSafeInteger(epoch) && epoch >= 1 ? epoch : null;
}

/**
 * The epochs of a run of `planned` epochs that keep their weights when it
 * trains to the end: all of them when they fit in `keep`, else `keep` epochs
 * spread evenly from 1 to `planned` (5 epochs, keep 3 → 1, 3, 5); `keep` 1
 * keeps the last only and 0 none.
 */
export function plannedEpochCheckpoints(planned: number, keep: number): number[] {
  if (keep <= 0 || planned <= 0) return [];
  if (planned <= keep) return Array.from({ length: planned }, (_, i) => i + 1);
  if (keep === 1) return [planned];
  // Steps of at least one epoch, so rounding never makes two the same.
  const step = (planned - 1) / (keep - 1);
  return Array.from({ length: keep }, (_, i) => Math.round(1 + i * step));
}

/** The epochs whose weights a run keeps once it has finished `epochsDone` epochs: the planned ones so far and the latest. */
export function keptEpochCheckpoints(planned: number, keep: number, epochsDone: number): number[] {
  if (keep <= 0 || epochsDone <= 0) return [];
  const kept = plannedEpochCheckpoints(planned, keep).filter((e) => e < epochsDone);
  return [...kept, epochsDone];
}

/** How many checkpoints a config keeps: its `keepEpochCheckpoints`, or the default for a config written before the option. */
export function epochCheckpointsKept(config: { keepEpochCheckpoints?: number | undefined }): number {
  return config.keepEpochCheckpoints ?? DEFAULT_KEEP_EPOCH_CHECKPOINTS;
}
