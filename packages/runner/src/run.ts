import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { Dataset, Normalization } from "@layerlab/data-core";
import {
  buildModel,
  decodeSafetensors,
  type Evaluation,
  encodeSafetensors,
  initBackend,
  loadWeights,
  type TrainRun,
  train,
} from "@layerlab/engine";
import { wasmThreadsStarted } from "@layerlab/engine/node";
import {
  analyzeSpec,
  configFingerprint,
  epochCheckpointsKept,
  keptEpochCheckpoints,
  type ModelSpec,
  NORMALIZATION_METADATA_KEY,
  type TestReport,
  type TrainEvent,
  type TrainEventOf,
  type TrainingConfig,
  type TrainingConfigInput,
  validateConfig,
} from "@layerlab/spec";
import { type DatasetRef, defaultDataDir, loadDatasetRef, type Preprocessing } from "./datasets";
import { diskFullMessage, isDiskFull } from "./disk-full";
import { runEnvironment } from "./environment";
import { pruneEpochCheckpoints, writeEpochCheckpoint } from "./epoch-checkpoints";
import { EventLog } from "./event-log";
import { jsonText, RUN_FILES, RunFolderError, readRunJson, writeRunFile } from "./files";
import { emptyMetrics, metricsCsv, type RunMetrics, withEpoch } from "./metrics";
import { decodeResumePoint, encodeResumePoint, type ResumeState } from "./resume-point";
import { ACTIVE_RUN_IDS, effectiveStatus, isRunFolder, type RunInfo, type RunStatus, readRunInfo } from "./run-info";

/** What both `startRun` and `resumeRun` accept to follow and stop a run. */
export interface RunControls {
  /** Aborting stops training at the next batch; the folder is left resumable, marked `aborted`. */
  signal?: AbortSignal;
  /** Called with every event as written to events.jsonl (sequence numbers continue across resumes). */
  onEvent?: (event: TrainEvent) => void;
  /** Emit a `batch` event every this many steps (default 10). */
  logEvery?: number;
  /** How a disk-full message names where the run folder lives (default: the folder's path). */
  diskName?: string;
  /**
   * Called when a write fails because the disk is full, before the run
   * records its failure; a caller that holds reserved space frees it here.
   */
  onDiskFull?: () => Promise<void>;
}

/** Everything a new run needs. */
export interface StartRunOptions extends RunControls {
  spec: unknown;
  config: TrainingConfigInput;
  dataset: Dataset;
  /** Where the dataset comes from, so that `resumeRun` can load it again. */
  datasetRef: DatasetRef;
  /** How predict prepares images; by default the dataset's shape, letterboxed. */
  preprocessing?: Preprocessing;
  /** The run folder; it must not hold a run yet. */
  dir: string;
  name?: string;
  /** Train on the first N training samples only. */
  limit?: number;
}

/** Options of `resumeRun`. */
export interface ResumeRunOptions extends RunControls {
  /** The dataset, when the caller has it loaded; else it is loaded from run.json's reference. */
  dataset?: Dataset;
  /** Folder of caches and saved datasets (default $LAYERLAB_DATA_DIR or ./data). */
  dataDir?: string;
}

/** How a run session ended. */
export interface RunSummary {
  dir: string;
  id: string;
  status: RunStatus;
  message: string | null;
  epochs: number;
  epochsDone: number;
  bestMetric: number | null;
  testLoss: number | null;
  testAccuracy: number | null;
}

/** Metadata key under which weights carry the training normalization (as the exporter reads it). */

/** Files written at each epoch end, in this order; the resume point (optimizer.safetensors) is the commit. */
export const CHECKPOINT_WRITE_ORDER = [
  RUN_FILES.bestWeights,
  RUN_FILES.optimizer,
  RUN_FILES.weights,
  RUN_FILES.metrics,
  RUN_FILES.metricsCsv,
  RUN_FILES.run,
] as const;

function firstError(problems: { severity: string; message: string; fix: string }[]): { message: string; fix: string } {
  return problems.find((p) => p.severity === "error") ?? { message: "invalid input", fix: "check it" };
}

/**
 * Trains a new run into `opts.dir` (DESIGN.md's run folder): spec.json,
 * config.json, run.json, events.jsonl as events arrive, and at every epoch end
 * a checkpoint (weights, best weights, resume point, metrics) written
 * atomically. Resolves when the run stops — succeeded, aborted, diverged or
 * failed — with its summary; rejects only when the inputs are invalid, before
 * anything is written.
 */
export async function startRun(opts: StartRunOptions): Promise<RunSummary> {
  const analysis = analyzeSpec(opts.spec);
  if (!analysis.ok || !analysis.spec) {
    const p = firstError(analysis.problems);
    throw new RunFolderError(`the model spec is invalid: ${p.message}`, p.fix);
  }
  const validation = validateConfig(opts.config, { trainSamples: opts.dataset.train.count });
  if (!validation.ok || !validation.config) {
    const p = firstError(validation.problems);
    throw new RunFolderError(`the training config is invalid: ${p.message}`, p.fix);
  }
  const dir = resolve(opts.dir);
  if (isRunFolder(dir)) {
    throw new RunFolderError(
      `${dir} already holds a run`,
      `choose another folder, or continue that run with 'layerlab resume ${opts.dir}'`,
    );
  }
  const spec = analysis.spec;
  const config = validation.config;
  let run: TrainRun;
  try {
    run = train({ ...trainControls(opts), spec, config, dataset: opts.dataset, ...limitOf(opts.limit) });
  } catch (err) {
    throw new RunFolderError((err as Error).message, "pick a model built for this dataset (a template adapts to it)");
  }
  const { dataset } = opts;
  const [c, h, w] = dataset.shape;
  const info: RunInfo = {
    format: "layerlab.run/1",
    id: randomUUID(),
    name: opts.name ?? basename(dir),
    status: "queued",
    message: null,
    dataset: { name: dataset.name, shape: [c, h, w], classes: [...dataset.classes], ref: opts.datasetRef },
    limit: opts.limit ?? null,
    fingerprint: configFingerprint(spec, config, { dataset: datasetKey(opts.datasetRef, opts.limit) }),
    normalization: run.normalization,
    preprocessing: opts.preprocessing ?? {
      inputShape: [c, h, w],
      colorMode: c === 1 ? "grayscale" : "rgb",
      fit: "contain",
    },
    epochs: config.epochs,
    epochsDone: 0,
    bestMetric: null,
    bestEpoch: null,
    testLoss: null,
    testAccuracy: null,
    timings: {
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      trainSeconds: 0,
      wallSeconds: 0,
    },
    environment: runEnvironment(),
    pid: process.pid,
  };
  try {
    await mkdir(dir, { recursive: true });
    await writeRunFile(dir, RUN_FILES.spec, jsonText(spec));
    await writeRunFile(dir, RUN_FILES.config, jsonText(config));
    await writeRunFile(dir, RUN_FILES.metrics, jsonText(emptyMetrics()));
    await writeRunFile(dir, RUN_FILES.metricsCsv, metricsCsv(emptyMetrics()));
    await writeRunFile(dir, RUN_FILES.run, jsonText(info));
  } catch (err) {
    run.dispose();
    throw refusalOf(err, opts.diskName ?? dir, "free space and start the run again");
  }
  return drive({ dir, run, info, config, metrics: emptyMetrics(), log: await EventLog.open(dir), controls: opts });
}

/**
 * Continues an interrupted, aborted or failed run from its last complete
 * checkpoint (weights and optimizer state restored exactly, so the result
 * equals an uninterrupted run's), appending to its history.
 */
export async function resumeRun(dir: string, opts: ResumeRunOptions = {}): Promise<RunSummary> {
  dir = resolve(dir);
  const info = await readRunInfo(dir);
  const status = effectiveStatus(info);
  if (status === "succeeded") {
    throw new RunFolderError(`the run in ${dir} has already finished`, "start a new run to train further");
  }
  if (status === "running") {
    throw new RunFolderError(
      `the run in ${dir} is being trained right now (process ${info.pid})`,
      "wait for it, or stop that process first",
    );
  }
  if (status === "diverged") {
    throw new RunFolderError(
      `the run in ${dir} diverged; resuming would diverge again`,
      "start a new run with a lower learning rate",
    );
  }
  const spec = await readRunJson<ModelSpec>(dir, RUN_FILES.spec);
  const config = await readRunJson<TrainingConfig>(dir, RUN_FILES.config);
  const dataset = opts.dataset ?? (await loadDatasetRef(info.dataset.ref, opts.dataDir ?? defaultDataDir())).dataset;
  await initBackend();
  const point = await readResumePoint(dir);
  const state: ResumeState = point?.state ?? {
    epochsDone: 0,
    bestMetric: null,
    bestEpoch: null,
    metrics: emptyMetrics(),
  };
  let run: TrainRun;
  try {
    const resume = point
      ? {
          vars: loadWeights(buildModel(spec), point.weights),
          optState: point.optimizerState,
          epochsDone: state.epochsDone,
          bestMetric: state.bestMetric,
        }
      : undefined;
    run = train({
      ...trainControls(opts),
      spec,
      config,
      dataset,
      ...limitOf(info.limit ?? undefined),
      ...(resume && { resume }),
    });
  } catch (err) {
    throw new RunFolderError(`cannot resume ${dir}: ${(err as Error).message}`, "resume with the dataset the run used");
  }
  if (!sameNormalization(run.normalization, info.normalization)) {
    run.dispose();
    throw new RunFolderError(
      `cannot resume ${dir}: its dataset has changed since the run started (different pixel statistics)`,
      "resume with the dataset the run used, or start a new run",
    );
  }
  // Bring every file back to the resume point: a kill may have left later metrics or an aborted status.
  Object.assign(info, {
    status: "queued",
    message: null,
    epochsDone: state.epochsDone,
    bestMetric: state.bestMetric,
    bestEpoch: state.bestEpoch,
    environment: runEnvironment(),
    pid: process.pid,
  });
  info.timings.finishedAt = null;
  info.timings.trainSeconds = sum(state.metrics.epoch_seconds);
  try {
    if (point) await writeRunFile(dir, RUN_FILES.weights, withNormalization(point.weights, info.normalization));
    await writeRunFile(dir, RUN_FILES.metrics, jsonText(state.metrics));
    await writeRunFile(dir, RUN_FILES.metricsCsv, metricsCsv(state.metrics));
    await writeRunFile(dir, RUN_FILES.run, jsonText(info));
  } catch (err) {
    run.dispose();
    throw refusalOf(err, opts.diskName ?? dir, "free space and resume the run");
  }
  return drive({ dir, run, info, config, metrics: state.metrics, log: await EventLog.open(dir), controls: opts });
}

/** A write that failed before training: a full disk becomes a RunFolderError saying where and what to do. */
function refusalOf(err: unknown, where: string, fix: string): unknown {
  return isDiskFull(err) ? new RunFolderError(`disk full in ${where}`, fix) : err;
}

async function readResumePoint(dir: string) {
  const path = join(dir, RUN_FILES.optimizer);
  if (!existsSync(path)) return null;
  try {
    return decodeResumePoint(new Uint8Array(await readFile(path)));
  } catch (err) {
    throw new RunFolderError(`${path} cannot be read: ${(err as Error).message}`, "the run folder is damaged");
  }
}

interface DriveContext {
  dir: string;
  run: TrainRun;
  info: RunInfo;
  config: TrainingConfig;
  metrics: RunMetrics;
  log: EventLog;
  controls: RunControls;
}

/** Iterates the run, writing events, checkpoints and the final state into the folder. */
async function drive(ctx: DriveContext): Promise<RunSummary> {
  const { dir, run, info, log, controls } = ctx;
  let metrics = ctx.metrics;
  const sessionStart = performance.now();
  const wallBefore = info.timings.wallSeconds;
  // A terminal event is logged, then run.json is finished, and only then are
  // listeners told: whoever reacts to "done" finds the folder complete.
  const emit = async (event: TrainEvent, beforeNotify?: () => Promise<void>) => {
    const written = await log.append(event);
    await beforeNotify?.();
    controls.onEvent?.(written);
  };
  const saveInfo = async () => {
    info.timings.wallSeconds = wallBefore + (performance.now() - sessionStart) / 1000;
    const rss = process.resourceUsage().maxRSS * 1024; // maxRSS is in kilobytes
    info.resources = { peakRssBytes: Math.max(info.resources?.peakRssBytes ?? 0, rss) };
    await writeRunFile(dir, RUN_FILES.run, jsonText(info));
  };
  const finish = async (status: RunStatus, message: string | null) => {
    Object.assign(info, { status, message, pid: null });
    info.environment.wasmThreads = Math.max(1, wasmThreadsStarted());
    if (run.convThreads !== null) info.environment.convThreads = run.convThreads;
    else delete info.environment.convThreads;
    info.timings.finishedAt = new Date().toISOString();
    await saveInfo();
  };
  ACTIVE_RUN_IDS.add(info.id);
  try {
    for await (const event of run) {
      switch (event.type) {
        case "start":
          info.status = "running";
          info.environment.backend = event.backend;
          info.timings.startedAt ??= new Date().toISOString();
          await saveInfo();
          await emit(event);
          break;
        case "epoch": {
          await emit(event);
          metrics = withEpoch(metrics, event);
          const kinds = await checkpoint(ctx, event, metrics, saveInfo);
          for (const kind of kinds) {
            const name = kind === "best" ? RUN_FILES.bestWeights : RUN_FILES.weights;
            await emit({ seq: 0, time: Date.now(), type: "checkpoint", epoch: event.epoch, kind, name });
          }
          break;
        }
        case "done": {
          metrics = { ...metrics, test_loss: event.testLoss, test_acc: event.testAccuracy };
          if (run.test) await writeRunFile(dir, RUN_FILES.test, jsonText(testReport(run.test, info.dataset.classes)));
          await writeRunFile(dir, RUN_FILES.metrics, jsonText(metrics));
          info.testLoss = event.testLoss;
          info.testAccuracy = event.testAccuracy;
          const artifacts = Object.values(RUN_FILES).filter((f) => f === RUN_FILES.run || existsSync(join(dir, f)));
          const message = event.stoppedEarly
            ? (event.stopReason ?? "stopped early: validation stopped improving")
            : null;
          // A resumed run's time is the whole run's: the sessions before this one, then this one.
          await emit({ ...event, artifacts, seconds: wallBefore + event.seconds }, () => finish("succeeded", message));
          break;
        }
        case "aborted":
          await emit(event, () => finish("aborted", event.reason));
          break;
        case "diverged":
          await emit(event, () => finish("diverged", event.message));
          break;
        case "error":
          await emit(event, () => finish("failed", event.message));
          break;
        default:
          await emit(event);
      }
    }
  } catch (err) {
    const diskFull = isDiskFull(err);
    if (diskFull) await controls.onDiskFull?.().catch(() => {});
    const message = diskFull
      ? diskFullMessage(controls.diskName ?? dir, "free space and resume the run")
      : `the runner failed: ${(err as Error).message}`;
    const failure: TrainEvent = { seq: 0, time: Date.now(), type: "error", message };
    // Listeners learn of the failure even when the disk refuses its log line or run.json.
    const logged = await log.append(failure).catch(() => log.numbered(failure));
    await finish("failed", message).catch(() => {});
    controls.onEvent?.(logged);
  } finally {
    ACTIVE_RUN_IDS.delete(info.id);
    run.dispose();
  }
  return {
    dir,
    id: info.id,
    status: info.status,
    message: info.message,
    epochs: info.epochs,
    epochsDone: info.epochsDone,
    bestMetric: info.bestMetric,
    testLoss: info.testLoss,
    testAccuracy: info.testAccuracy,
  };
}

/**
 * Writes one epoch's checkpoint in CHECKPOINT_WRITE_ORDER. A kill between any
 * two renames leaves either the previous resume point (and at most a best
 * checkpoint that the resumed run rewrites identically) or the new one with
 * files that `resumeRun` rewrites from it. Returns the checkpoint kinds written.
 */
async function checkpoint(
  ctx: DriveContext,
  event: TrainEventOf<"epoch">,
  metrics: RunMetrics,
  saveInfo: () => Promise<void>,
): Promise<("best" | "last")[]> {
  const { dir, run, info, config } = ctx;
  const improved = improves(event, info.bestMetric, config);
  const meta = { [NORMALIZATION_METADATA_KEY]: JSON.stringify(info.normalization) };
  const files: Partial<Record<(typeof CHECKPOINT_WRITE_ORDER)[number], string | Uint8Array>> = {};
  if (improved !== null) {
    info.bestMetric = improved;
    info.bestEpoch = event.epoch;
    const best = await run.bestWeights({ ...meta, "layerlab.epoch": String(event.epoch) });
    if (best) files[RUN_FILES.bestWeights] = best;
  }
  const weights = await run.lastWeights({ ...meta, "layerlab.epoch": String(event.epoch) });
  const state: ResumeState = {
    epochsDone: event.epoch,
    bestMetric: info.bestMetric,
    bestEpoch: info.bestEpoch,
    metrics,
  };
  files[RUN_FILES.optimizer] = encodeResumePoint(weights, await run.optimizerState(), state);
  files[RUN_FILES.weights] = weights;
  files[RUN_FILES.metrics] = jsonText(metrics);
  files[RUN_FILES.metricsCsv] = metricsCsv(metrics);
  info.epochsDone = event.epoch;
  info.timings.trainSeconds = sum(metrics.epoch_seconds);
  // The epoch's own copy goes before the resume point commits: a kill in between leaves a file
  // that the resumed run writes again with the same bytes.
  const keep = epochCheckpointsKept(config);
  if (keep > 0) await writeEpochCheckpoint(dir, event.epoch, weights);
  for (const name of CHECKPOINT_WRITE_ORDER) {
    if (name === RUN_FILES.run) await saveInfo();
    else if (files[name] !== undefined) await writeRunFile(dir, name, files[name]);
  }
  // Only after the commit: until then the previous epoch is the one a resume starts from.
  await pruneEpochCheckpoints(dir, keptEpochCheckpoints(config.epochs, keep, event.epoch));
  return improved !== null && files[RUN_FILES.bestWeights] ? ["best", "last"] : ["last"];
}

/** The new best metric when this epoch improves on `best` (the engine's rule), else null. */
function improves(e: TrainEventOf<"epoch">, best: number | null, config: TrainingConfig): number | null {
  const metric = config.earlyStopping?.metric ?? "val_loss";
  const current = metric === "val_acc" ? e.valAccuracy : e.valLoss;
  const minDelta = config.earlyStopping?.minDelta ?? 0;
  if (current === null) return null;
  if (best === null) return current;
  const better = metric === "val_acc" ? current > best + minDelta : current < best - minDelta;
  return better ? current : null;
}

/** test.json: the test split's metrics, confusion matrix, per-class scores, every prediction and the dead-unit shares. */
function testReport(test: Evaluation, classes: string[]): TestReport {
  return {
    loss: test.loss,
    accuracy: test.accuracy,
    count: test.count,
    classes,
    /** confusion[actual][predicted] */
    confusion: test.confusion,
    perClass: test.perClass.map((p, i) => ({ class: classes[i]!, ...p })),
    predictions: Array.from(test.predictions),
    deadUnits: test.deadUnits,
  };
}

function withNormalization(weights: Uint8Array, normalization: Normalization): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(weights);
  return encodeSafetensors(tensors, { ...metadata, [NORMALIZATION_METADATA_KEY]: JSON.stringify(normalization) });
}

function sameNormalization(a: Normalization, b: Normalization): boolean {
  const close = (x: number[], y: number[]) => x.length === y.length && x.every((v, i) => Math.abs(v - y[i]!) < 1e-9);
  return close(a.mean, b.mean) && close(a.std, b.std);
}

function datasetKey(ref: DatasetRef, limit: number | undefined): string {
  const base =
    ref.kind === "builtin"
      ? `builtin:${ref.name}${ref.shapes ? JSON.stringify(ref.shapes) : ""}`
      : ref.kind === "saved"
        ? `saved:${ref.id}`
        : `path:${ref.path}${ref.import ? JSON.stringify(ref.import) : ""}`;
  return limit ? `${base}#limit=${limit}` : base;
}

function trainControls(c: RunControls) {
  return { ...(c.signal && { signal: c.signal }), ...(c.logEvery !== undefined && { logEvery: c.logEvery }) };
}

function limitOf(limit: number | undefined) {
  return limit !== undefined ? { limit } : {};
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
