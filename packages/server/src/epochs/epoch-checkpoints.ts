import type { BigIntStats } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { EpochCheckpointList, EpochPredictions, EpochSamples } from "@layerlab/api";
import { toEpochPredictions } from "@layerlab/api";
import { type Normalization, normalizationProblem } from "@layerlab/data-core";
import { readDatasetFile } from "@layerlab/data-node";
import { decodeResumePoint } from "@layerlab/engine/resume-point";
import { decodeSafetensors, encodeSafetensors } from "@layerlab/engine/safetensors";
import {
  epochCheckpointPath,
  listEpochCheckpoints,
  pruneEpochCheckpoints,
  RUN_FILES,
  writeEpochCheckpoint,
} from "@layerlab/runner";
import {
  EPOCH_VIEW_TEST_LIMIT,
  epochCheckpointsKept,
  epochSampleIndices,
  keptEpochCheckpoints,
  type ModelSpec,
  NORMALIZATION_METADATA_KEY,
} from "@layerlab/spec";
import { type ServedDatasets, servedTestFile } from "../datasets/served-files";
import type { RunRow } from "../db/schema";
import { HttpError } from "../http-error";
import { runNormalization } from "../inference/normalization";
import { runDir } from "../runs/run-files";
import { type EpochViewResult, epochViewOffThread, warmEpochViewThread } from "./epoch-view-off-thread";

/*
 * A run's epoch checkpoints as the scrubber reads them: which epochs kept
 * their weights, the test images followed across them, and what each epoch's
 * model answers. Answers are kept per checkpoint file (its identity on disk),
 * so scrubbing back is instant and a file written again is computed again.
 * Runs that train elsewhere (a browser, a remote worker) upload a resume point
 * at each epoch's end; the epoch's weights are taken from it here.
 */

/** The stored config's epochs and bound (a config written before the option keeps the default). */
function plannedOf(run: RunRow): { planned: number; keep: number } {
  const config = JSON.parse(run.config) as { epochs?: number; keepEpochCheckpoints?: number };
  return { planned: config.epochs ?? 1, keep: epochCheckpointsKept(config) };
}

const identityOf = (s: BigIntStats) => `${s.ino}:${s.size}:${s.mtimeNs}`;

/** The followed test images of a test split, kept per file (by its identity on disk). */
interface SampleSet {
  identity: string;
  samples: EpochSamples;
  sampleLabels: number[];
  classCount: number;
  testCount: number;
}
const sampleSets = new Map<string, SampleSet>();

async function sampleSetOf(testSplitPath: string): Promise<SampleSet> {
  const identity = identityOf(await stat(testSplitPath, { bigint: true }));
  const held = sampleSets.get(testSplitPath);
  if (held?.identity === identity) return held;
  const dataset = await readDatasetFile(testSplitPath);
  const { test } = dataset;
  const indices = epochSampleIndices(test.labels, dataset.classes.length);
  const size = dataset.shape.reduce((a, b) => a * b, 1);
  const pixels = new Uint8Array(indices.length * size);
  for (const [k, i] of indices.entries()) pixels.set(test.images.subarray(i * size, (i + 1) * size), k * size);
  const labels = indices.map((i) => test.labels[i]!);
  const set: SampleSet = {
    identity,
    samples: {
      shape: [dataset.shape[0]!, dataset.shape[1]!, dataset.shape[2]!],
      indices,
      labels,
      images: Buffer.from(pixels).toString("base64"),
    },
    sampleLabels: labels,
    classCount: dataset.classes.length,
    testCount: test.count,
  };
  sampleSets.set(testSplitPath, set);
  return set;
}

/** The served test split of the run's dataset; a 409 saying what to do when the dataset is gone. */
async function testSplitOf(ctx: ServedDatasets, run: RunRow): Promise<string> {
  return servedTestFile(ctx, run.dataset).catch((err: unknown) => {
    if (err instanceof HttpError && err.statusCode === 404)
      throw new HttpError(
        409,
        `run ${run.id}'s dataset ${run.dataset} is no longer on this server, so its epochs cannot be shown; import the dataset again`,
      );
    throw err;
  });
}

/** GET /api/runs/:id/epochs. */
export async function epochCheckpointListOf(ctx: ServedDatasets, run: RunRow): Promise<EpochCheckpointList> {
  const dir = runDir(ctx.dataDir, run.id);
  const spec = JSON.parse(run.spec) as ModelSpec;
  const { planned, keep } = plannedOf(run);
  const epochs = await listEpochCheckpoints(dir);
  if (epochs.length > 0) warmEpochViewThread();
  const set = await sampleSetOf(await testSplitOf(ctx, run));
  let normalization: Normalization | null = null;
  const latest = epochs.at(-1);
  if (latest !== undefined) {
    const weights = await readFile(epochCheckpointPath(dir, latest)).catch(() => null);
    if (weights)
      normalization = await runNormalization(run.id, dir, new Uint8Array(weights), spec.input.shape).catch(() => null);
  }
  return {
    runId: run.id,
    keep,
    planned,
    epochs,
    classes: [...spec.classes],
    samples: set.samples,
    testCount: set.testCount,
    evaluated: Math.min(EPOCH_VIEW_TEST_LIMIT, set.testCount),
    normalization: normalization && { mean: [...normalization.mean], std: [...normalization.std] },
  };
}

/** Computed views by checkpoint and test split identity; the oldest go beyond this many. */
const KEEP_VIEWS = 256;
const views = new Map<string, Promise<EpochViewResult>>();

function remember(key: string, view: Promise<EpochViewResult>): void {
  views.set(key, view);
  // A failed computation is forgotten, so that asking again tries again.
  view.catch(() => views.get(key) === view && views.delete(key));
  for (const old of views.keys()) {
    if (views.size <= KEEP_VIEWS) break;
    views.delete(old);
  }
}

/** The 404 for an epoch the run keeps no weights of, naming the ones it keeps. */
function noSuchEpoch(run: RunRow, epoch: number, epochs: number[]): HttpError {
  const kept = epochs.length > 0 ? `it keeps epochs ${epochs.join(", ")}` : "it keeps none yet";
  return new HttpError(
    404,
    `run ${run.id} keeps no weights of epoch ${epoch}: ${kept} (GET /api/runs/${run.id}/epochs)`,
  );
}

/** GET /api/runs/:id/epochs/:epoch. */
export async function epochPredictionsOf(ctx: ServedDatasets, run: RunRow, epoch: number): Promise<EpochPredictions> {
  const dir = runDir(ctx.dataDir, run.id);
  const weightsPath = epochCheckpointPath(dir, epoch);
  const weightsStat = await stat(weightsPath, { bigint: true }).catch(() => null);
  if (!weightsStat) throw noSuchEpoch(run, epoch, await listEpochCheckpoints(dir));
  const testSplitPath = await testSplitOf(ctx, run);
  const set = await sampleSetOf(testSplitPath);
  const key = `${weightsPath}@${identityOf(weightsStat)} ${testSplitPath}@${set.identity}`;
  let view = views.get(key);
  if (!view) {
    const weights = await readFile(weightsPath).catch(() => null);
    // Pruned between the look and the read: the run moved on past it.
    if (!weights) throw noSuchEpoch(run, epoch, await listEpochCheckpoints(dir));
    const spec = JSON.parse(run.spec) as ModelSpec;
    const normalization = await runNormalization(run.id, dir, new Uint8Array(weights), spec.input.shape);
    const specText = await readFile(join(dir, RUN_FILES.spec), "utf8").catch(() => run.spec);
    const job = {
      specText,
      weightsPath,
      normalization,
      testSplitPath,
      testSplitIdentity: set.identity,
      sampleIndices: set.samples.indices,
      limit: EPOCH_VIEW_TEST_LIMIT,
    };
    view = epochViewOffThread(job).catch((err: Error) => {
      throw new HttpError(
        409,
        `run ${run.id}'s weights of epoch ${epoch} could not be run on the test split of ${run.dataset} (${err.message})`,
      );
    });
    remember(key, view);
  }
  const result = await view;
  return toEpochPredictions({
    runId: run.id,
    epoch,
    sampleIndices: set.samples.indices,
    sampleLabels: set.sampleLabels,
    sampleProbabilities: result.sampleProbabilities,
    confusion: result.confusion,
    count: result.count,
    accuracy: result.accuracy,
    loss: result.loss,
  });
}

/** The bytes of epoch `epoch`'s weights (a safetensors file), for a page that shows that epoch's feature maps. */
export async function epochWeightsOf(ctx: ServedDatasets, run: RunRow, epoch: number): Promise<Buffer> {
  const dir = runDir(ctx.dataDir, run.id);
  const bytes = await readFile(epochCheckpointPath(dir, epoch)).catch(() => null);
  if (!bytes) throw noSuchEpoch(run, epoch, await listEpochCheckpoints(dir));
  return bytes;
}

/**
 * Keeps the weights of the epoch a just-uploaded resume point ends (a browser
 * run's, or a remote worker's), as the runner keeps its own: the model's
 * tensors with the epoch and, when the resume point records it, the
 * normalisation in the metadata; then drops the epochs the run's bound no longer keeps.
 */
export async function keepEpochOfResumePoint(dataDir: string, run: RunRow, resumePoint: Uint8Array): Promise<void> {
  const { planned, keep } = plannedOf(run);
  const point = decodeResumePoint(
    resumePoint,
    (raw) => (raw ?? {}) as { epochsDone?: unknown; normalization?: unknown },
  );
  const epoch = point.state.epochsDone;
  if (typeof epoch !== "number" || !Number.isSafeInteger(epoch) || epoch < 1) return;
  const dir = runDir(dataDir, run.id);
  if (keep > 0) {
    const spec = JSON.parse(run.spec) as ModelSpec;
    const metadata: Record<string, string> = { "layerlab.epoch": String(epoch) };
    const normalization = point.state.normalization;
    if (normalization !== undefined && normalizationProblem(normalization, spec.input.shape) === null)
      metadata[NORMALIZATION_METADATA_KEY] = JSON.stringify(normalization);
    const weights = encodeSafetensors(decodeSafetensors(point.weights).tensors, metadata);
    await writeEpochCheckpoint(dir, epoch, weights);
  }
  await pruneEpochCheckpoints(dir, keptEpochCheckpoints(planned, keep, epoch));
}
