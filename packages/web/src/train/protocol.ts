import type { Evaluation } from "@layerlab/engine";
import type { Backend, ModelSpecInput, TrainEvent, TrainingConfigInput } from "@layerlab/spec";
import type { DatasetChoice } from "../data/datasets";

/** A dataset's test split as the results views need it (uint8 images, channels-first). */
export interface TestImages {
  shape: [number, number, number];
  classes: string[];
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** Messages the page sends to the training worker. */
export type ToWorker =
  | {
      type: "train";
      runId: string;
      spec: ModelSpecInput;
      config: TrainingConfigInput;
      dataset: DatasetChoice;
      limit?: number;
      serverData?: ArrayBuffer;
    }
  | { type: "abort"; runId: string }
  /** Raw pixels in [0, 1], `[C, H, W]`; the worker normalises them as the run did. */
  | { type: "predict"; id: number; runId: string; pixels: Float32Array };

/** Messages the training worker sends to the page. */
export type FromWorker =
  | { type: "ready"; backend: Backend; isolated: boolean; threads: number }
  | { type: "event"; runId: string; event: TrainEvent }
  | {
      type: "results";
      runId: string;
      evaluation: Omit<Evaluation, "predictions"> & { predictions: Int32Array };
      test: TestImages;
      weights: Uint8Array;
    }
  | { type: "prediction"; id: number; probabilities: Float32Array | null; error?: string }
  | { type: "failed"; runId?: string; message: string };
