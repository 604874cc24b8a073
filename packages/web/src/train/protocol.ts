import type { Dataset } from "@layerlab/data-core";
import type { Evaluation, SaliencyMap, SaliencyRequest } from "@layerlab/engine";
import type { Backend, LayerCost, ModelSpecInput, TrainEvent, TrainingConfigInput } from "@layerlab/spec";
import type { DatasetChoice } from "../data/datasets";

/** A dataset's test split as the results views need it (uint8 images, channels-first). */
export interface TestImages {
  shape: [number, number, number];
  classes: string[];
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** How a training worker runs Wasm kernels: on one thread (dense nets) or on jax-js's worker pool (conv nets). */
export type WasmMode = "single" | "pool";

/** A run's per-channel normalisation of its training data. */
export interface RunNormalization {
  mean: number[];
  std: number[];
}

/** Where a resumed browser run continues: its resume point, and the seq its first event gets (after every event recorded so far). */
export interface ResumeFrom {
  point: Uint8Array;
  firstSeq: number;
}

/** Messages the page sends to the training worker. */
export type ToWorker =
  /** Must come first: the worker loads the engine only after it. */
  | { type: "configure"; mode: WasmMode }
  | {
      type: "train";
      runId: string;
      spec: ModelSpecInput;
      config: TrainingConfigInput;
      dataset: DatasetChoice;
      limit?: number;
      serverData?: ArrayBuffer;
      /** The generated shapes of `dataset`, when the page has drawn them already: the worker keeps them instead of drawing them. */
      shapes?: Dataset;
      /** Continues a run from its resume point (resumePoint.ts) instead of starting it afresh. */
      resume?: ResumeFrom;
    }
  | { type: "abort"; runId: string }
  /** Raw pixels in [0, 1], `[C, H, W]`; the worker normalises them as the run did. */
  | { type: "predict"; id: number; runId: string; pixels: Float32Array }
  /** Same input as `predict`; answers every layer's output and the weighted layers' weights. */
  | { type: "inspect"; id: number; runId: string; pixels: Float32Array }
  /** Same input as `predict`; answers which pixels drove the requested class's score (engine/saliency.ts). */
  | { type: "saliency"; id: number; runId: string; pixels: Float32Array; request: SaliencyRequest }
  /**
   * Holds a finished run's model (trained elsewhere, e.g. on the server) so that `predict` and
   * `inspect` answer for `runId`; `weights` is its safetensors file. Loading a held run again is a no-op.
   */
  | { type: "load"; runId: string; spec: ModelSpecInput; weights: Uint8Array; normalization: RunNormalization }
  /** Frees a model held by `load`. */
  | { type: "unload"; runId: string }
  /** Times each layer of `spec` and its inference latency on this device (engine/layer-cost.ts): `costProgress`, then `cost`. */
  | { type: "measureCost"; id: number; spec: ModelSpecInput; batchSize: number }
  /**
   * Runs the model held for `runId` over `set` (uint8 images): the probabilities of the images at
   * `sampleIndices` and the metrics on the first `limit` (engine/epoch-view.ts), answered by `epochView`.
   */
  | { type: "epochView"; id: number; runId: string; set: EpochViewSet; sampleIndices: number[]; limit: number };

/** Test images as `epochView` takes them: `count` uint8 images, channels first, and their labels. */
export interface EpochViewSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** What a model answered for `epochView`: the followed images' probabilities `[samples · classes]` and the metrics. */
export interface EpochViewAnswer {
  sampleProbabilities: Float32Array;
  confusion: number[][];
  count: number;
  accuracy: number;
  loss: number;
}

/** One layer's output for one input (batch dimension dropped), as the inside views need it. */
export interface LayerOutput {
  layer: number;
  kind: string;
  shape: number[];
  data: Float32Array;
  /** The layers whose outputs this one takes (-1 is the model's input); absent: the layer before it. */
  sources?: number[];
  /** The layer's id in the spec, where it has one. */
  id?: string;
}

/** What the model does with one input: every layer's output, and each weighted layer's `weight` ([out, in] or [out, in, kh, kw]). */
export interface Inspection {
  /** The normalised input the model saw, `[C, H, W]`. */
  input: { shape: number[]; data: Float32Array };
  layers: LayerOutput[];
  weights: Record<number, { shape: number[]; data: Float32Array }>;
}

/** The worker's compiled prediction passes: how many it has built since it started, and how many are not yet freed. */
export interface PredictorCounts {
  built: number;
  live: number;
}

/** Messages the training worker sends to the page. */
export type FromWorker =
  | { type: "ready"; backend: Backend; isolated: boolean; threads: number; mode: WasmMode }
  /** Run `runId` is training; `threads` is how many threads run its Wasm kernels (1 on WebGPU). */
  | { type: "started"; runId: string; engine: { backend: Backend; threads: number; convThreads?: number } }
  | { type: "event"; runId: string; event: TrainEvent }
  /** Sent after each `epoch` event: the run's resume point at that epoch's end (resumePoint.ts). */
  | { type: "resumePoint"; runId: string; epochsDone: number; point: Uint8Array }
  | {
      type: "results";
      runId: string;
      evaluation: Omit<Evaluation, "predictions"> & { predictions: Int32Array };
      test: TestImages;
      weights: Uint8Array;
      normalization: RunNormalization;
    }
  /** `predictors` lets the page see that predictions reuse the compiled passes (one build per model). */
  | { type: "prediction"; id: number; probabilities: Float32Array | null; error?: string; predictors: PredictorCounts }
  | { type: "inspection"; id: number; inspection: Inspection | null; error?: string }
  | { type: "saliency"; id: number; saliency: SaliencyMap | null; error?: string }
  /** How far `measureCost` `id` has got: `done` of `total` measurements (layers, then inference batch sizes). */
  | { type: "costProgress"; id: number; done: number; total: number }
  /** Answers `measureCost`: the measurement and where it ran, or why there is none. */
  | { type: "cost"; id: number; cost: LayerCost | null; engine?: { backend: Backend; threads: number }; error?: string }
  | { type: "epochView"; id: number; view: EpochViewAnswer | null; error?: string }
  /** Answers `load`: the model is held (`error` absent) or could not be built from the weights. */
  | { type: "loaded"; runId: string; error?: string }
  | { type: "failed"; runId?: string; message: string };
