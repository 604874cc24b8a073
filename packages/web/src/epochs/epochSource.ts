import { type EpochCheckpointList, type EpochPredictions, toEpochPredictions } from "@layerlab/api";
import {
  EPOCH_VIEW_TEST_LIMIT,
  epochCheckpointsKept,
  epochSampleIndices,
  type ModelSpecInput,
  TrainingConfig,
  type TrainingConfigInput,
} from "@layerlab/spec";
import { fetchEpochList, fetchEpochPredictions, fetchEpochWeights } from "../api/client";
import { channelsOf, checkNormalization, normalizationFromWeights } from "../draw/serverModel";
import type { TestImages } from "../train/protocol";
import { type RunResults, trainer } from "../train/trainer";
import { getLocalEpoch, listLocalEpochs } from "./localEpochStore";

/*
 * Where the epoch scrubber's answers come from: the server for the runs it
 * keeps (it computes each epoch off its event loop), or — for a run kept in
 * this browser — the page's own engine worker, on the test images stored with
 * the run. Both give the API's EpochPredictions, so the views cannot tell.
 */

/** The kept epochs of a run and the test images followed across them. */
export interface EpochTimeline {
  epochs: number[];
  /** The run's keepEpochCheckpoints. */
  keep: number;
  /** Epochs the run was configured to train. */
  planned: number;
  classes: string[];
  samples: {
    /** `[C, H, W]` of each image. */
    shape: [number, number, number];
    /** Indices into the test split. */
    indices: number[];
    labels: number[];
    /** uint8 pixels of the followed images, channels first, one after another. */
    images: Uint8Array;
  };
  /** Images in the test split, and how many of the first each confusion matrix counts. */
  testCount: number;
  evaluated: number;
}

/** A run's epochs, wherever they are kept. */
export interface EpochSource {
  /** The kept epochs now (a run still training keeps more as it goes). */
  timeline(): Promise<EpochTimeline>;
  /** What epoch `epoch`'s model predicts for the followed images, and its confusion matrix. */
  predictions(epoch: number): Promise<EpochPredictions>;
  /** Loads epoch `epoch`'s model into the page's engine worker; resolves with the id `trainer.inspect` takes. */
  loadModel(epoch: number): Promise<string>;
}

/** The id under which the page's worker holds epoch `epoch`'s model of run `runId`. */
export function epochModelId(runId: string, epoch: number): string {
  return `${runId}#epoch-${epoch}`;
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The API's epoch list as the scrubber reads it. */
export function timelineOfList(list: EpochCheckpointList): EpochTimeline {
  const { normalization: _n, runId: _r, samples, ...rest } = list;
  return { ...rest, samples: { ...samples, images: base64Bytes(samples.images) } };
}

/** The epochs of server run `runId` (model `spec`), computed by the server. */
export function serverEpochSource(runId: string, spec: ModelSpecInput): EpochSource {
  let list: EpochCheckpointList | null = null;
  return {
    async timeline() {
      list = await fetchEpochList(runId);
      return timelineOfList(list);
    },
    predictions: (epoch) => fetchEpochPredictions(runId, epoch),
    async loadModel(epoch) {
      const id = epochModelId(runId, epoch);
      await trainer.loadModel(id, spec, async () => {
        const weights = await fetchEpochWeights(runId, epoch);
        const channels = channelsOf(spec);
        const normalization =
          normalizationFromWeights(weights, channels) ??
          checkNormalization(list?.normalization, channels, `run ${runId}'s epoch list`);
        return { weights, normalization };
      });
      return id;
    },
  };
}

/** The followed images and the first `evaluated` test images of `test`, as one set the worker runs through. */
function viewSet(test: TestImages, indices: readonly number[], evaluated: number) {
  const size = test.shape[0] * test.shape[1] * test.shape[2];
  const count = evaluated + indices.length;
  const images = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  images.set(test.images.subarray(0, evaluated * size));
  labels.set(test.labels.subarray(0, evaluated));
  for (const [k, i] of indices.entries()) {
    images.set(test.images.subarray(i * size, (i + 1) * size), (evaluated + k) * size);
    labels[evaluated + k] = test.labels[i]!;
  }
  return { set: { images, labels, count }, sampleIndices: indices.map((_, k) => evaluated + k) };
}

/**
 * The epochs of run `runId` kept in this browser (model `spec`, trained with
 * `config`), computed in the page's engine worker on the test images of its
 * `results`.
 */
export function localEpochSource(
  runId: string,
  spec: ModelSpecInput,
  config: TrainingConfigInput,
  results: RunResults,
): EpochSource {
  const test = results.test;
  const indices = epochSampleIndices(test.labels, test.classes.length);
  const evaluated = Math.min(EPOCH_VIEW_TEST_LIMIT, test.count);
  const size = test.shape[0] * test.shape[1] * test.shape[2];
  const samples = new Uint8Array(indices.length * size);
  for (const [k, i] of indices.entries()) samples.set(test.images.subarray(i * size, (i + 1) * size), k * size);
  const parsed = TrainingConfig.safeParse(config);
  const source: EpochSource = {
    async timeline() {
      return {
        epochs: await listLocalEpochs(runId),
        keep: epochCheckpointsKept(parsed.success ? parsed.data : config),
        planned: parsed.success ? parsed.data.epochs : (config.epochs ?? 1),
        classes: [...test.classes],
        samples: { shape: [...test.shape], indices, labels: indices.map((i) => test.labels[i]!), images: samples },
        testCount: test.count,
        evaluated,
      };
    },
    async predictions(epoch) {
      const id = await source.loadModel(epoch);
      const { set, sampleIndices } = viewSet(test, indices, evaluated);
      const { view, error } = await trainer.epochView(id, set, sampleIndices, evaluated);
      if (!view) throw new Error(`epoch ${epoch}'s model could not run here: ${error ?? "no answer"}`);
      return toEpochPredictions({
        runId,
        epoch,
        sampleIndices: indices,
        sampleLabels: indices.map((i) => test.labels[i]!),
        ...view,
      });
    },
    async loadModel(epoch) {
      const id = epochModelId(runId, epoch);
      await trainer.loadModel(id, spec, async () => {
        const weights = await getLocalEpoch(runId, epoch);
        if (!weights) throw new Error(`this browser keeps no weights of epoch ${epoch} of this run`);
        const channels = channelsOf(spec);
        const normalization = normalizationFromWeights(weights, channels) ?? results.normalization;
        if (!normalization) throw new Error(`epoch ${epoch}'s weights do not say how the run normalised its pixels`);
        return { weights, normalization };
      });
      return id;
    },
  };
  return source;
}
