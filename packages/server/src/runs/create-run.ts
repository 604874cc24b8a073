import { mkdir, rm } from "node:fs/promises";
import {
  analyzeSpec,
  configFingerprint,
  type ModelSpec,
  type TrainingConfig,
  tryBuildTemplate,
  validateConfig,
} from "@layerlab/spec";
import type { Registry } from "../db/registry";
import type { Executor, NewRunRow, RunRow } from "../db/schema";
import { HttpError } from "../http-error";
import { jobInputFor } from "../jobs/job-input";
import type { JobQueue } from "../jobs/queue";
import { type DatasetFacts, resolveDataset } from "./dataset-info";
import { newRunId, runDir } from "./run-files";
import { runView } from "./run-view";

/** The body of POST /api/runs. */
export interface CreateRunBody {
  spec?: unknown;
  template?: string | { id: string; options?: unknown };
  config?: unknown;
  dataset: string;
  executor: Executor;
  name?: string;
  tags?: string[];
  notes?: string;
  /** What to do when a run with the same fingerprint exists (seed 001's duplicate prompt). */
  ifExists?: "reuse" | "overwrite" | "new";
  /** Train on the first N training samples only. */
  limit?: number;
}

/** What creating a run needs from the app. */
export interface CreateRunContext {
  registry: Registry;
  queue: JobQueue;
  dataDir: string;
}

const problemList = (problems: { message: string }[]) => problems.map((p) => p.message);

function resolveSpec(body: CreateRunBody, dataset: DatasetFacts): ModelSpec {
  if (body.spec !== undefined && body.template !== undefined) {
    throw new HttpError(400, "send either spec or template, not both");
  }
  if (body.template !== undefined) {
    const { id, options } =
      typeof body.template === "string" ? { id: body.template, options: undefined } : body.template;
    const built = tryBuildTemplate(id, { inputShape: dataset.shape, classes: dataset.classes }, options);
    if (!built.spec)
      throw new HttpError(400, "the template cannot be built", { problems: problemList(built.problems) });
    return built.spec;
  }
  if (body.spec === undefined) throw new HttpError(400, 'spec or template is required (e.g. "template": "mlp")');
  const analysis = analyzeSpec(body.spec);
  if (!analysis.ok || !analysis.spec) {
    throw new HttpError(400, "the model spec has errors", {
      problems: problemList(analysis.problems.filter((p) => p.severity === "error")),
    });
  }
  const spec = analysis.spec;
  const want = dataset.shape.join("×");
  const shape = spec.input.shape.length === 2 ? [1, ...spec.input.shape] : spec.input.shape;
  if (shape.join("×") !== want) {
    throw new HttpError(
      400,
      `the spec's input shape ${spec.input.shape.join("×")} does not match dataset ${dataset.id} (${want}); set input.shape to [${dataset.shape.join(",")}]`,
    );
  }
  if (spec.classes.length !== dataset.classes.length) {
    throw new HttpError(
      400,
      `the spec has ${spec.classes.length} classes but dataset ${dataset.id} has ${dataset.classes.length}; set classes to ${JSON.stringify(dataset.classes)}`,
    );
  }
  return spec;
}

function resolveConfig(input: unknown): TrainingConfig {
  const result = validateConfig(input ?? {});
  if (!result.ok || !result.config) {
    throw new HttpError(400, "the training config has errors", {
      problems: problemList(result.problems.filter((p) => p.severity === "error")),
    });
  }
  return result.config;
}

/** Summary columns the run list filters on, derived from the spec and config. */
function filterColumns(spec: ModelSpec, config: TrainingConfig) {
  const dense = spec.layers.filter((l) => l.kind === "dense");
  const dropouts = spec.layers.flatMap((l) => (l.kind === "dropout" ? [l.rate] : []));
  return {
    model_kind: spec.layers.some((l) => l.kind === "conv2d") ? "cnn" : "mlp",
    optimizer: config.optimizer.name,
    batch_size: config.batchSize,
    epochs: config.epochs,
    learning_rate: config.learningRate,
    dropout: Math.max(0, ...dropouts),
    hidden_units: dense
      .slice(0, -1)
      .map((l) => (l.kind === "dense" ? l.units : 0))
      .join(","),
  };
}

/** The outcome of a create: the run and whether it is new (201) or an existing one reused (200). */
export interface CreateRunResult {
  status: 200 | 201;
  row: RunRow;
}

/**
 * Validates a create request, applies duplicate detection, registers the run,
 * creates its folder and queues it when the server trains it.
 */
export async function createRun(ctx: CreateRunContext, body: CreateRunBody): Promise<CreateRunResult> {
  const dataset = await resolveDataset(ctx.registry, body.dataset);
  const spec = resolveSpec(body, dataset);
  const config = resolveConfig(body.config);
  const limit = body.limit ?? null;
  const fingerprint = configFingerprint(spec, config, {
    dataset: limit === null ? dataset.id : `${dataset.id}[:${limit}]`,
  });
  const existing = await ctx.registry.runsByFingerprint(fingerprint);
  if (existing.length > 0) {
    const latest = existing[0]!;
    if (body.ifExists === undefined) {
      throw new HttpError(
        409,
        'a run with the same model, config and dataset exists; send ifExists: "reuse", "overwrite" or "new"',
        { run: runView(latest, ctx.queue.position(latest.id)) },
      );
    }
    if (body.ifExists === "reuse") return { status: 200, row: latest };
    if (body.ifExists === "overwrite") {
      // Browser runs that never started hold nothing; a server run in flight must be aborted first.
      const busy = existing.find((r) => r.executor === "server" && (r.status === "running" || r.status === "queued"));
      if (busy) throw new HttpError(409, `run ${busy.id} with this configuration is ${busy.status}; abort it first`);
      for (const r of existing) {
        await ctx.registry.deleteRun(r.id);
        await rm(runDir(ctx.dataDir, r.id), { recursive: true, force: true });
      }
    }
  }
  const id = newRunId();
  const row: NewRunRow = {
    id,
    name: body.name?.trim() || spec.name || `${filterColumns(spec, config).model_kind} on ${dataset.id}`,
    status: "queued",
    tags: JSON.stringify(body.tags ?? []),
    notes: body.notes ?? "",
    spec: JSON.stringify(spec),
    config: JSON.stringify(config),
    fingerprint,
    dataset: dataset.id,
    train_limit: limit,
    executor: body.executor,
    ...filterColumns(spec, config),
    created_at: Date.now(),
    started_at: null,
    finished_at: null,
    epochs_done: 0,
    error: null,
  };
  const dir = runDir(ctx.dataDir, id);
  await mkdir(dir, { recursive: true });
  await ctx.registry.insertRun(row);
  const created = (await ctx.registry.getRun(id))!;
  if (body.executor === "server") ctx.queue.enqueue(jobInputFor(created, ctx.dataDir, dataset.source));
  return { status: 201, row: (await ctx.registry.getRun(id)) ?? created };
}
