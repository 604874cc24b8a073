import { z } from "zod";

/*
 * One event stream for everyone: the engine yields these, the runner writes
 * them to events.jsonl, the server relays them over SSE, the CLI draws
 * progress bars from them and the web app charts them. `seq` is run-local and
 * strictly increasing from 0. Accuracies are fractions in [0, 1].
 */

const base = {
  seq: z.number().int().min(0),
  /** Milliseconds since the Unix epoch. */
  time: z.number(),
};

/** A fraction of samples right, in [0, 1]. */
const accuracy = z.number().min(0, "an accuracy is a fraction in [0, 1]").max(1, "an accuracy is a fraction in [0, 1]");
/** A cross-entropy loss, never negative. */
const loss = z.number().min(0, "a loss is never negative");

export const Backend = z.enum(["wasm", "webgpu", "webgl", "cpu"]);
export type Backend = z.infer<typeof Backend>;

export const StartEvent = z.object({
  ...base,
  type: z.literal("start"),
  backend: Backend,
  epochs: z.number().int(),
  stepsPerEpoch: z.number().int(),
  trainSamples: z.number().int(),
  valSamples: z.number().int(),
  paramCount: z.number().int(),
  /** Set when this run continues from a checkpoint. */
  resumedFromEpoch: z.number().int().optional(),
  /**
   * sha256 (hex) of the initial weights (as safetensors) and of the first batch's sample indices (uint32):
   * runs that must start alike, such as a sweep's, can show that they did. Absent on a resumed run.
   */
  initialWeightsSha256: z.string().optional(),
  firstBatchSha256: z.string().optional(),
});

export const BatchEvent = z.object({
  ...base,
  type: z.literal("batch"),
  epoch: z.number().int(),
  /** Global step, counted from 1. */
  step: z.number().int(),
  loss,
  accuracy,
  learningRate: z.number(),
  samplesPerSec: z.number(),
});

export const EpochEvent = z.object({
  ...base,
  type: z.literal("epoch"),
  /** Counted from 1. */
  epoch: z.number().int(),
  trainLoss: loss,
  trainAccuracy: accuracy,
  valLoss: loss.nullable(),
  valAccuracy: accuracy.nullable(),
  learningRate: z.number(),
  seconds: z.number(),
  samplesPerSec: z.number(),
  /**
   * Share of each ReLU layer's units that never fired on a sample of the
   * held-out (else training) images at the end of the epoch, for the doctor's
   * dead-ReLU rule while the run trains. Absent in runs recorded before it existed.
   */
  deadUnits: z.array(z.object({ layer: z.number().int(), fraction: z.number().min(0).max(1) })).optional(),
});

export const LogEvent = z.object({
  ...base,
  type: z.literal("log"),
  level: z.enum(["info", "warn", "error"]),
  message: z.string(),
});

export const CheckpointEvent = z.object({
  ...base,
  type: z.literal("checkpoint"),
  epoch: z.number().int(),
  kind: z.enum(["best", "last"]),
  /** Artifact name within the run, e.g. `weights.safetensors`. */
  name: z.string(),
});

export const DoneEvent = z.object({
  ...base,
  type: z.literal("done"),
  epochs: z.number().int(),
  stoppedEarly: z.boolean(),
  /** Why the run ended before its last epoch, in words; absent when it trained every epoch. */
  stopReason: z.string().optional(),
  testLoss: loss.nullable(),
  testAccuracy: accuracy.nullable(),
  seconds: z.number(),
  artifacts: z.array(z.string()),
});

export const AbortedEvent = z.object({
  ...base,
  type: z.literal("aborted"),
  epoch: z.number().int(),
  step: z.number().int(),
  reason: z.string(),
});

export const ErrorEvent = z.object({
  ...base,
  type: z.literal("error"),
  /** What went wrong and what to do about it, for a person. */
  message: z.string(),
});

export const DivergedEvent = z.object({
  ...base,
  type: z.literal("diverged"),
  epoch: z.number().int(),
  step: z.number().int(),
  loss: z.number().nullable(),
  /** What to try next, e.g. a lower learning rate. */
  message: z.string(),
});

/** One spec layer's gradient statistics over the steps since the last `gradients` event. */
export const LayerGradientStats = z.object({
  /** Index of the layer in `spec.layers` (only layers with parameters are listed). */
  layer: z.number().int().min(0),
  kind: z.string(),
  /** L2 norm of the layer's gradient (all its tensors together), root-mean-square over the steps; null when it overflowed (NaN or infinite). */
  gradNorm: z.number().min(0).nullable(),
  /** ‖Δw‖ / ‖w‖ of the layer's parameters per step (about 1e-3 is healthy); null when it overflowed. */
  updateRatio: z.number().min(0).nullable(),
});
export type LayerGradientStats = z.infer<typeof LayerGradientStats>;

export const GradientsEvent = z.object({
  ...base,
  type: z.literal("gradients"),
  epoch: z.number().int(),
  /** Global step of the last step covered, as in the `batch` event it follows. */
  step: z.number().int(),
  layers: z.array(LayerGradientStats),
});
export type GradientsEvent = z.infer<typeof GradientsEvent>;

export const TrainEvent = z.discriminatedUnion("type", [
  StartEvent,
  BatchEvent,
  EpochEvent,
  LogEvent,
  CheckpointEvent,
  DoneEvent,
  AbortedEvent,
  ErrorEvent,
  DivergedEvent,
  GradientsEvent,
]);
export type TrainEvent = z.infer<typeof TrainEvent>;
export type TrainEventType = TrainEvent["type"];
export type TrainEventOf<T extends TrainEventType> = Extract<TrainEvent, { type: T }>;

/** Events after which a run produces nothing more. */
export const TERMINAL_EVENT_TYPES: readonly TrainEventType[] = ["done", "aborted", "error", "diverged"];
