import { mkdir, rm } from "node:fs/promises";
import {
  analyzeSpec,
  configFingerprint,
  defaultRunName,
  type ModelSpec,
  specSizeProblem,
  type TrainingConfig,
  tryBuildTemplate,
  validateConfig,
} from "@layerlab/spec";
import type { Registry } from "../db/registry";
import type { Executor, NewRunRow, RunRow } from "../db/schema";
import { HttpError } from "../http-error";
import { jobInputFor } from "../jobs/job-input";
import type { RunQueue } from "../jobs/run-queue";
import { type DatasetFacts, resolveDataset } from "./dataset-info";
import { newRunId, runDir } from "./run-files";
import { runTags } from "./run-tags";
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
  /** The sweep the run is a cell of (set by the server when it queues a sweep, never by a request). */
  sweep?: { id: string; cell: number };
}

/** What creating a run needs from the app. */
export interface CreateRunContext {
  registry: Registry;
  queue: RunQueue;
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
  const tooLarge = specSizeProblem(body.spec);
  if (tooLarge) throw new HttpError(413, tooLarge.message);
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

/** How the registry settled a create against the runs already holding its fingerprint. */
type Settled =
  | { kind: "created"; run: RunRow; replaced: string[] }
  | { kind: "exists"; run: RunRow }
  | { kind: "reused"; run: RunRow }
  | { kind: "busy"; run: RunRow }
  | { kind: "raced" };

const DUPLICATE_MESSAGE =
  'a run with the same model, config and dataset exists; send ifExists: "reuse", "overwrite" or "new"';

/**
 * Applies duplicate detection and inserts `row` in one transaction. The new
 * run takes the fingerprint's slot unless it is an explicit copy of a held
 * one; the slot's unique index is what keeps two racing requests from both
 * creating the run, so this stays correct on a database whose transactions
 * run side by side.
 */
async function settleDuplicates(tx: Registry, row: NewRunRow, ifExists: CreateRunBody["ifExists"]): Promise<Settled> {
  const existing = await tx.runsByFingerprint(row.fingerprint);
  const replaced: string[] = [];
  if (existing.length > 0) {
    if (ifExists === undefined) return { kind: "exists", run: existing[0]! };
    if (ifExists === "reuse") return { kind: "reused", run: existing[0]! };
    if (ifExists === "overwrite") {
      // Browser runs that never started hold nothing; a server run in flight must be aborted first.
      const busy = existing.find((r) => r.executor === "server" && (r.status === "running" || r.status === "queued"));
      if (busy) return { kind: "busy", run: busy };
      for (const r of existing) {
        await tx.deleteRun(r.id);
        replaced.push(r.id);
      }
    }
  }
  let inserted = await tx.insertRunUnlessSlotHeld({ ...row, fingerprint_slot: row.fingerprint });
  if (!inserted && ifExists === "new") {
    await tx.insertRun({ ...row, fingerprint_slot: null });
    inserted = true;
  }
  // Read inside the transaction: a racing overwrite may replace the run as soon as it commits.
  if (inserted) return { kind: "created", run: (await tx.getRun(row.id))!, replaced };
  // Another request's run took the slot after our read (only where transactions overlap).
  const holder = await tx.runHoldingFingerprint(row.fingerprint);
  if (holder && ifExists === "reuse") return { kind: "reused", run: holder };
  if (holder && ifExists === undefined) return { kind: "exists", run: holder };
  return { kind: "raced" };
}

/**
 * Validates a create request, applies duplicate detection, registers the run,
 * creates its folder and queues it when the server trains it.
 */
export async function createRun(ctx: CreateRunContext, body: CreateRunBody): Promise<CreateRunResult> {
  if (body.executor === "import") {
    throw new HttpError(
      400,
      'an imported run is made from its files: send them to POST /api/runs/import, or use executor "server" or "browser"',
    );
  }
  const dataset = await resolveDataset(ctx.registry, body.dataset);
  const spec = resolveSpec(body, dataset);
  const config = resolveConfig(body.config);
  const limit = body.limit ?? null;
  const fingerprint = configFingerprint(spec, config, {
    dataset: limit === null ? dataset.id : `${dataset.id}[:${limit}]`,
  });
  const id = newRunId();
  const row: NewRunRow = {
    id,
    name: body.name?.trim() || defaultRunName(spec, config, dataset.id),
    status: "queued",
    tags: JSON.stringify(runTags(body.tags ?? [])),
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
    sweep_id: body.sweep?.id ?? null,
    sweep_cell: body.sweep?.cell ?? null,
  };
  // The folder exists before the row does, so no reader ever finds a run without one.
  const dir = runDir(ctx.dataDir, id);
  await mkdir(dir, { recursive: true });
  let settled: Settled;
  try {
    settled = await ctx.registry.inTransaction((tx) => settleDuplicates(tx, row, body.ifExists));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  if (settled.kind !== "created") await rm(dir, { recursive: true, force: true });
  if (settled.kind === "exists") {
    throw new HttpError(409, DUPLICATE_MESSAGE, {
      run: runView(settled.run, (await ctx.queue.queuePositions()).get(settled.run.id) ?? null),
    });
  }
  if (settled.kind === "busy") {
    throw new HttpError(409, `run ${settled.run.id} with this configuration is ${settled.run.status}; abort it first`);
  }
  if (settled.kind === "raced") {
    throw new HttpError(
      409,
      "another request created or replaced a run with this configuration at the same moment; send the request again",
    );
  }
  if (settled.kind === "reused") return { status: 200, row: settled.run };
  for (const old of settled.replaced) await rm(runDir(ctx.dataDir, old), { recursive: true, force: true });
  if (body.executor === "server") await ctx.queue.enqueue(jobInputFor(settled.run, ctx.dataDir, dataset.source));
  return { status: 201, row: (await ctx.registry.getRun(id)) ?? settled.run };
}
