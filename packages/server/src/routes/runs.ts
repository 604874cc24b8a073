import { rm } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { LEARNING_RATE_BUCKETS, RUN_SORT_FIELDS, type RunFilter, type RunSortField } from "../db/registry";
import { RUN_STATUSES, type RunStatus } from "../db/schema";
import { found, HttpError } from "../http-error";
import { jobInputFor } from "../jobs/job-input";
import { type CreateRunBody, createRun } from "../runs/create-run";
import { resolveDataset } from "../runs/dataset-info";
import { isRunId, runDir } from "../runs/run-files";
import { runView } from "../runs/run-view";

const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", maxLength: 64 } },
} as const;

const createBody = {
  type: "object",
  required: ["dataset", "executor"],
  properties: {
    spec: { type: "object" },
    template: {
      anyOf: [
        { type: "string" },
        { type: "object", required: ["id"], properties: { id: { type: "string" }, options: { type: "object" } } },
      ],
    },
    config: { type: "object" },
    dataset: { type: "string", minLength: 1, maxLength: 128 },
    executor: { type: "string", enum: ["server", "browser"] },
    name: { type: "string", maxLength: 200 },
    tags: { type: "array", items: { type: "string", maxLength: 64 }, maxItems: 32 },
    notes: { type: "string", maxLength: 10_000 },
    ifExists: { type: "string", enum: ["reuse", "overwrite", "new"] },
    limit: { type: "integer", minimum: 1 },
  },
} as const;

const listQuery = {
  type: "object",
  properties: {
    status: { type: "string" },
    dataset: { type: "string" },
    modelKind: { type: "string" },
    optimizer: { type: "string" },
    batchSize: { type: "integer" },
    epochs: { type: "integer" },
    dropout: { type: "boolean" },
    hidden: { type: "string" },
    learningRate: { type: "string", enum: Object.keys(LEARNING_RATE_BUCKETS) },
    learningRateLow: { type: "number" },
    learningRateHigh: { type: "number" },
    executor: { type: "string", enum: ["server", "browser"] },
    q: { type: "string", maxLength: 200 },
    tag: { type: "string", maxLength: 64 },
    sort: { type: "string", enum: Object.keys(RUN_SORT_FIELDS) },
    order: { type: "string", enum: ["asc", "desc"] },
    limit: { type: "integer", minimum: 1, maximum: 1000 },
    offset: { type: "integer", minimum: 0 },
  },
} as const;

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
  learningRate?: keyof typeof LEARNING_RATE_BUCKETS;
  learningRateLow?: number;
  learningRateHigh?: number;
  executor?: "server" | "browser";
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
    [filter.learningRateMin, filter.learningRateMax] = LEARNING_RATE_BUCKETS[q.learningRate];
  }
  if (q.learningRateLow !== undefined) filter.learningRateMin = q.learningRateLow;
  if (q.learningRateHigh !== undefined) filter.learningRateMax = q.learningRateHigh;
  return filter;
}

/** /api/runs: create, list, get, patch, delete, abort, resume. */
export async function runRoutes(app: FastifyInstance): Promise<void> {
  const view = async (id: string) => {
    const row = found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);
    return runView(row, app.jobs.position(id));
  };

  app.post<{ Body: CreateRunBody }>(
    "/api/runs",
    { schema: { summary: "Create a run (409 on a duplicate unless ifExists says what to do)", body: createBody } },
    async (req, reply) => {
      const result = await createRun(
        { registry: app.registry, queue: app.jobs, dataDir: app.settings.dataDir },
        req.body,
      );
      return reply.code(result.status).send(runView(result.row, app.jobs.position(result.row.id)));
    },
  );

  app.get<{
    Querystring: RunListQuery & { sort?: RunSortField; order?: "asc" | "desc"; limit?: number; offset?: number };
  }>(
    "/api/runs",
    { schema: { summary: "List runs with filters and sorting", querystring: listQuery } },
    async (req) => {
      const { sort = "createdAt", order = "desc", limit = 100, offset = 0 } = req.query;
      const rows = await app.registry.listRuns(
        runFilterFromQuery(req.query),
        { field: sort, order },
        { limit, offset },
      );
      return { runs: rows.map((r) => runView(r, app.jobs.position(r.id))) };
    },
  );

  app.get<{ Params: { id: string } }>("/api/runs/:id", { schema: { params: idParams } }, async (req) => {
    const run = await view(req.params.id);
    const metrics = await app.registry.epochMetrics(run.id);
    const artifacts = await app.registry.artifacts(run.id);
    return { ...run, epochMetrics: metrics.map(({ run_id: _r, ...m }) => m), artifacts };
  });

  app.patch<{ Params: { id: string }; Body: { name?: string; tags?: string[]; notes?: string } }>(
    "/api/runs/:id",
    {
      schema: {
        summary: "Rename, retag or annotate a run",
        params: idParams,
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 200 },
            tags: { type: "array", items: { type: "string", minLength: 1, maxLength: 64 }, maxItems: 32 },
            notes: { type: "string", maxLength: 10_000 },
          },
        },
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
        ...(tags !== undefined && { tags: JSON.stringify([...new Set(tags)]) }),
        ...(notes !== undefined && { notes }),
      });
      return view(req.params.id);
    },
  );

  app.delete<{ Params: { id: string } }>("/api/runs/:id", { schema: { params: idParams } }, async (req, reply) => {
    const run = await view(req.params.id);
    if (run.status === "running") throw new HttpError(409, `run ${run.id} is running; abort it first`);
    if (run.status === "queued") await app.jobs.abort(run.id, "deleted");
    await app.registry.deleteRun(run.id);
    await rm(runDir(app.settings.dataDir, run.id), { recursive: true, force: true });
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>("/api/runs/:id/abort", { schema: { params: idParams } }, async (req, reply) => {
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

  app.post<{ Params: { id: string } }>("/api/runs/:id/resume", { schema: { params: idParams } }, async (req, reply) => {
    const run = await view(req.params.id);
    if (run.status !== "interrupted") {
      throw new HttpError(409, `run ${run.id} is ${run.status}; only interrupted runs can be resumed`);
    }
    if (run.executor !== "server") throw new HttpError(409, "browser runs are resumed by the browser that trains them");
    const row = (await app.registry.getRun(run.id))!;
    const dataset = await resolveDataset(app.registry, row.dataset);
    // The registry's status is the lock: of two resumes racing, only one moves the run out of interrupted.
    if (!(await app.registry.transitionRun(run.id, ["interrupted"], "queued", { finished_at: null, error: null }))) {
      throw new HttpError(409, `run ${run.id} is being resumed already`);
    }
    app.jobs.enqueue(jobInputFor(row, app.settings.dataDir, dataset.source));
    return reply.code(202).send(await view(run.id));
  });
}
