import { appendFile, mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type BuiltinDatasetName, loadBuiltinDataset, loadSavedDataset, writeFileAtomic } from "@layerlab/data-node";
import { buildModel, loadWeights, type ResumePoint, train } from "@layerlab/engine";
import type { TrainEvent, TrainEventOf } from "@layerlab/spec";
import type { JobInput } from "./job-types";

/*
 * The ONE module that turns a job into a run folder. It runs inside a job
 * worker thread. Until @layerlab/runner's startRun/resumeRun land it drives
 * the engine itself and writes the run folder's files (DESIGN.md "Run folder")
 * atomically; switching to the runner is an edit of this file only.
 */

/** Files this module writes into a run folder. */
export const JOB_FILES = {
  spec: "spec.json",
  config: "config.json",
  normalization: "normalization.json",
  weights: "weights.safetensors",
  optimizer: "optimizer.safetensors",
  progress: "progress.json",
  metrics: "metrics.json",
  metricsCsv: "metrics.csv",
  events: "events.jsonl",
} as const;

/** What the worker is told while a job runs. */
export interface JobHooks {
  signal: AbortSignal;
  onEvent(event: TrainEvent): void;
  onArtifact(name: string, bytes: number): void;
}

interface Progress {
  epochsDone: number;
  bestMetric: number | null;
}

type EpochRow = Omit<TrainEventOf<"epoch">, "seq" | "time" | "type">;

const text = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

async function loadJobDataset(input: JobInput) {
  if (input.dataset.kind === "saved") return loadSavedDataset(input.dataDir, input.dataset.id);
  return loadBuiltinDataset(input.dataset.name as BuiltinDatasetName, { dataDir: input.dataDir });
}

function metricsCsv(rows: EpochRow[]): string {
  const head = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds";
  const lines = rows.map((r) =>
    [r.epoch, r.trainLoss, r.trainAccuracy, r.valLoss ?? "", r.valAccuracy ?? "", r.learningRate, r.seconds].join(","),
  );
  return `${[head, ...lines].join("\n")}\n`;
}

async function readResumePoint(input: JobInput, epochs: EpochRow[]): Promise<ResumePoint | undefined> {
  if (!input.resume) return undefined;
  const progress = JSON.parse(await readFile(join(input.runDir, JOB_FILES.progress), "utf8")) as Progress;
  const model = buildModel(input.spec);
  const vars = loadWeights(model, new Uint8Array(await readFile(join(input.runDir, JOB_FILES.weights))));
  const optState = new Uint8Array(await readFile(join(input.runDir, JOB_FILES.optimizer)));
  const previous = JSON.parse(await readFile(join(input.runDir, JOB_FILES.metrics), "utf8").catch(() => "[]"));
  epochs.push(...(previous as EpochRow[]).filter((r) => r.epoch <= progress.epochsDone));
  return { vars, optState, epochsDone: progress.epochsDone, bestMetric: progress.bestMetric };
}

/** Whether a run folder holds what a resume needs. */
export async function canResume(runDir: string): Promise<boolean> {
  const files = [JOB_FILES.progress, JOB_FILES.weights, JOB_FILES.optimizer, JOB_FILES.spec];
  const found = await Promise.all(
    files.map((f) =>
      stat(join(runDir, f)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return found.every(Boolean);
}

/**
 * Trains one run into its folder, reporting every event; checkpoints after
 * each epoch (weights, optimizer state, then progress, each by rename).
 * Resolves when the run has ended in any way; training failures end as an
 * `error` event, not a rejection.
 */
export async function runJob(input: JobInput, hooks: JobHooks): Promise<void> {
  const dir = input.runDir;
  await mkdir(dir, { recursive: true });
  const write = async (name: string, bytes: Uint8Array) => {
    await writeFileAtomic(join(dir, name), [bytes]);
    hooks.onArtifact(name, bytes.length);
  };
  const epochs: EpochRow[] = [];
  let nextSeq = input.firstSeq;
  // Seqs continue across resumes, so events.jsonl and the registry share one numbering.
  const emit = async (raw: TrainEvent) => {
    const event = { ...raw, seq: nextSeq++ };
    await appendFile(join(dir, JOB_FILES.events), `${JSON.stringify(event)}\n`);
    hooks.onEvent(event);
  };
  let run: ReturnType<typeof train> | null = null;
  try {
    const dataset = await loadJobDataset(input);
    const resume = await readResumePoint(input, epochs);
    if (!input.resume) {
      await write(JOB_FILES.spec, text(input.spec));
      await write(JOB_FILES.config, text(input.config));
    }
    run = train({
      spec: input.spec,
      config: input.config as never,
      dataset,
      signal: hooks.signal,
      ...(input.limit !== null && { limit: input.limit }),
      ...(resume && { resume }),
    });
    await write(JOB_FILES.normalization, text(run.normalization));
    let bestMetric = resume?.bestMetric ?? null;
    for await (const event of run) {
      if (event.type === "epoch") {
        const { seq: _s, time: _t, type: _y, ...row } = event;
        epochs.push(row);
        const metric = run.config.earlyStopping?.metric === "val_acc" ? event.valAccuracy : event.valLoss;
        const better = (a: number, b: number) => (run?.config.earlyStopping?.metric === "val_acc" ? a > b : a < b);
        if (metric !== null && (bestMetric === null || better(metric, bestMetric))) bestMetric = metric;
        // Commit order: optimizer state and weights first, progress last, so progress never runs ahead.
        await write(JOB_FILES.optimizer, await run.optimizerState());
        await write(JOB_FILES.weights, await run.lastWeights());
        await write(JOB_FILES.metrics, text(epochs));
        await write(JOB_FILES.metricsCsv, new TextEncoder().encode(metricsCsv(epochs)));
        await write(JOB_FILES.progress, text({ epochsDone: event.epoch, bestMetric } satisfies Progress));
      }
      if (event.type === "done") {
        await write(JOB_FILES.weights, (await run.bestWeights()) ?? (await run.lastWeights()));
      }
      await emit(event);
    }
  } catch (err) {
    if (hooks.signal.aborted) {
      await emit({
        seq: 0,
        time: Date.now(),
        type: "aborted",
        epoch: epochs.length,
        step: 0,
        reason: "aborted by user",
      });
    } else {
      await emit({ seq: 0, time: Date.now(), type: "error", message: (err as Error).message || String(err) });
    }
  } finally {
    run?.dispose();
  }
}
