import { rm } from "node:fs/promises";
import {
  CreateRunBody,
  ErrorBody,
  RunDetail,
  RunIdParams,
  RunListQuery as RunListQuerySchema,
  RunPage,
  RunPatchBody,
  RunView,
} from "@layerlab/api";
import { formatBytes, type LearningRateRangeName, learningRateRangeLimits, MAX_SPEC_JSON_BYTES } from "@layerlab/spec";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { RunFilter } from "../db/registry";
import { RUN_STATUSES, type RunStatus } from "../db/schema";
import { found, HttpError } from "../http-error";
import { jobInputFor } from "../jobs/job-input";
import { createRun } from "../runs/create-run";
import { resolveDataset } from "../runs/dataset-info";
import { isRunId, runDir } from "../runs/run-files";
import { runTags } from "../runs/run-tags";
import { runSummaryView, runView } from "../runs/run-view";

/**
 * The most bytes a create request may send: a spec at its limit even when
 * pretty-printed, with room for the config, notes and tags. Bigger bodies are
 * refused before they are read, so a huge upload never reaches the parser.
 */
export const CREATE_RUN_BODY_LIMIT = 4 * MAX_SPEC_JSON_BYTES;

/** Refuses a create request whose declared length is over the limit, in words (Fastify's own 413 says less). */
async function refuseOversizedBody(req: FastifyRequest): Promise<void> {
  const length = Number(req.headers["content-length"] ?? 0);
  if (length > CREATE_RUN_BODY_LIMIT) {
    throw new HttpError(
      413,
      `the request body is ${formatBytes(length)}, more than the ${formatBytes(CREATE_RUN_BODY_LIMIT)} a run may send; a model spec may take at most ${formatBytes(MAX_SPEC_JSON_BYTES)} of JSON — remove layers or send a template`,
    );
  }
}

/** Answers of create: the run, or (409) the duplicate it would be. */
const createResponses = {
  200: RunView.meta({
    description: "The run this configuration has already (ifExists: reuse); nothing is created",
  }),
  201: RunView,
  409: z.object({ error: z.string(), run: RunView.optional() }).meta({
    description: "A run with the same model, config and dataset exists (under `run`), or it is busy",
  }),
  "4xx": ErrorBody,
  "5xx": ErrorBody,
};

/** Query of GET /api/runs as Fastify has coerced it. */
export interface RunListQuery {
  status?: string;
  dataset?: string;
  modelKind?: string;
  optimizer?: string;
  batchSize?: number;
  epochs?: number;
  dropout?: boolean;
  hidden?: string;
  /** A named range of the shared learning-rate table, e.g. "medium-high". */
  learningRate?: LearningRateRangeName;
  learningRateLow?: number;
  learningRateHigh?: number;
  executor?: "server" | "browser" | "import";
  q?: string;
  tag?: string;
}

/** Turns list/lookup query parameters into a registry filter; throws 400 on an unknown status. */
export function runFilterFromQuery(q: RunListQuery): RunFilter {
  const filter: RunFilter = {};
  if (q.status !== undefined) {
    const statuses = q.status.split(",");
    const bad = statuses.find((s) => !(RUN_STATUSES as readonly string[]).includes(s));
    if (bad) throw new HttpError(400, `status "${bad}" is not one of ${RUN_STATUSES.join(", ")}`);
    filter.status = statuses as RunStatus[];
  }
  for (const key of [
    "dataset",
    "modelKind",
    "optimizer",
    "batchSize",
    "epochs",
    "dropout",
    "hidden",
    "executor",
    "tag",
  ] as const) {
    if (q[key] !== undefined) (filter as Record<string, unknown>)[key] = q[key];
  }
  if (q.q !== undefined) filter.text = q.q;
  if (q.learningRate !== undefined) {
    const { min, max } = learningRateRangeLimits(q.learningRate);
    if (min !== undefined) filter.learningRateMin = min;
    if (max !== undefined) filter.learningRateMax = max;
  }
  if (q.learningRateLow !== undefined) filter.learningRateMin = q.learningRateLow;
  if (q.learningRateHigh !== undefined) filter.learningRateMax = q.learningRateHigh;
  return filter;
}

/** Statuses a run can be resumed from: it stopped before its last epoch, and its checkpoints are intact. */
const RESUMABLE: RunStatus[] = ["interrupted", "failed", "aborted"];

/** /api/runs: create, list, get, patch, delete, abort, resume. */
export async function runRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const view = async (id: string) => {
    const row = found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);
    return runView(row, (await app.jobs.queuePositions()).get(id) ?? null);
  };

  app.post(
    "/api/runs",
    {
      schema: {
        summary: "Create a run (409 on a duplicate unless ifExists says what to do)",
        body: CreateRunBody,
        response: createResponses,
      },
      bodyLimit: CREATE_RUN_BODY_LIMIT,
      preParsing: async (req) => refuseOversizedBody(req),
    },
    async (req, reply) => {
      const result = await createRun(
        { registry: app.registry, queue: app.jobs, dataDir: app.settings.dataDir },
        req.body,
      );
      const place = (await app.jobs.queuePositions()).get(result.row.id) ?? null;
      return reply.code(result.status).send(runView(result.row, place));
    },
  );

  app.get(
    "/api/runs",
    {
      schema: {
        summary:
          "List runs with filters, sorting and paging; `total` counts every run the filter matches (summaries: GET /api/runs/:id has the spec and config)",
        querystring: RunListQuerySchema,
        response: { 200: RunPage, "4xx": ErrorBody },
      },
    },
    async (req) => {
      const { sort = "createdAt", order = "desc", limit = 100, offset = 0 } = req.query;
      const { rows, total } = await app.registry.runPage(
        runFilterFromQuery(req.query),
        { field: sort, order },
        { limit, offset },
      );
      const places = await app.jobs.queuePositions();
      return { runs: rows.map((r) => runSummaryView(r, places.get(r.id) ?? null)), total, limit, offset };
    },
  );

  const getSchema = {
    summary: "A run with its spec, config, per-epoch metrics and artifacts",
    params: RunIdParams,
    response: { 200: RunDetail, "4xx": ErrorBody },
  };
  app.get("/api/runs/:id", { schema: getSchema }, async (req) => {
    const run = await view(req.params.id);
    const metrics = await app.registry.epochMetrics(run.id);
    const artifacts = await app.registry.artifacts(run.id);
    return { ...run, epochMetrics: metrics.map(({ run_id: _r, ...m }) => m), artifacts };
  });

  app.patch(
    "/api/runs/:id",
    {
      schema: {
        summary: 'Rename, retag or annotate a run ("baseline, walk" in one tag is two tags)',
        params: RunIdParams,
        body: RunPatchBody,
        response: { 200: RunView, "4xx": ErrorBody, "5xx": ErrorBody },
      },
    },
    async (req) => {
      await view(req.params.id);
      const { name, tags, notes } = req.body;
      if (name === undefined && tags === undefined && notes === undefined) {
        throw new HttpError(400, "nothing to change: send name, tags or notes");
      }
      await app.registry.updateRun(req.params.id, {
        ...(name !== undefined && { name }),
        ...(tags !== undefined && { tags: JSON.stringify(runTags(tags)) }),
        ...(notes !== undefined && { notes }),
      });
      return view(req.params.id);
    },
  );

  const deleteSchema = { summary: "Delete a run that is not running, and its files", params: RunIdParams };
  app.delete("/api/runs/:id", { schema: deleteSchema }, async (req, reply) => {
    const run = await view(req.params.id);
    if (run.status === "running") throw new HttpError(409, `run ${run.id} is running; abort it first`);
    if (run.status === "queued") await app.jobs.abort(run.id, "deleted");
    await app.registry.deleteRun(run.id);
    await rm(runDir(app.settings.dataDir, run.id), { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    return reply.code(204).send();
  });

  const abortSchema = {
    summary: "Stop a queued or running run (a browser run is recorded as aborted for every client)",
    params: RunIdParams,
    response: { 202: RunView, "4xx": ErrorBody },
  };
  app.post("/api/runs/:id/abort", { schema: abortSchema }, async (req, reply) => {
    const run = await view(req.params.id);
    if (run.status !== "queued" && run.status !== "running") {
      throw new HttpError(409, `run ${run.id} is ${run.status}; only queued or running runs can be aborted`);
    }
    if (!(await app.jobs.abort(run.id))) {
      // A browser run: the server cannot stop the browser, but records the abort so every client sees it.
      await app.registry.transitionRun(run.id, ["queued", "running"], "aborted", {
        finished_at: Date.now(),
        error: "aborted by user",
      });
    }
    return reply.code(202).send(await view(run.id));
  });

  const resumeSchema = {
    summary:
      "Resume an interrupted, aborted or failed run from its last checkpoint: a server run is queued again; a browser run is marked queued for the browser that resumes it, whose next start event (seqs continuing) makes it running",
    params: RunIdParams,
    response: { 202: RunView, "4xx": ErrorBody },
  };
  app.post("/api/runs/:id/resume", { schema: resumeSchema }, async (req, reply) => {
    const run = await view(req.params.id);
    // Failed runs (say after DATA_DIR's disk was full) and aborted ones resume from their last checkpoint too.
    if (!RESUMABLE.includes(run.status)) {
      throw new HttpError(
        409,
        `run ${run.id} is ${run.status}; only ${RESUMABLE.join(", ")} runs can be resumed — start a new run instead`,
      );
    }
    if (run.executor === "import")
      throw new HttpError(409, `run ${run.id} was imported, not trained here; nothing can resume it`);
    // The registry's status is the lock: of two resumes racing, only one moves the run on to queued.
    const reset = { finished_at: null, error: null };
    if (run.executor === "browser") {
      // The browser trains it from its uploaded resume point; the server records what it posts.
      if (!(await app.registry.transitionRun(run.id, RESUMABLE, "queued", reset)))
        throw new HttpError(409, `run ${run.id} is being resumed already`);
      return reply.code(202).send(await view(run.id));
    }
    const row = (await app.registry.getRun(run.id))!;
    const dataset = await resolveDataset(app.registry, row.dataset);
    if (!(await app.registry.transitionRun(run.id, RESUMABLE, "queued", reset))) {
      throw new HttpError(409, `run ${run.id} is being resumed already`);
    }
    await app.jobs.enqueue(jobInputFor(row, app.settings.dataDir, dataset.source));
    return reply.code(202).send(await view(run.id));
  });

  const interruptSchema = {
    summary:
      "Mark a browser run whose page is gone (closed or reloaded mid-run) interrupted, so it can be resumed; the page that finds it orphaned calls this",
    params: RunIdParams,
    response: { 202: RunView, "4xx": ErrorBody },
  };
  app.post("/api/runs/:id/interrupt", { schema: interruptSchema }, async (req, reply) => {
    const run = await view(req.params.id);
    if (run.executor !== "browser")
      throw new HttpError(409, `run ${run.id} is a ${run.executor} run; the server marks its own runs interrupted`);
    if (!(await app.registry.transitionRun(run.id, ["queued", "running"], "interrupted"))) {
      throw new HttpError(
        409,
        `run ${run.id} is ${(await view(run.id)).status}; only a queued or running browser run can be marked interrupted`,
      );
    }
    return reply.code(202).send(await view(run.id));
  });
}
