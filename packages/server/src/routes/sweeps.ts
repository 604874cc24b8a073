import { rm } from "node:fs/promises";
import { CreateSweepBody, ErrorBody, SweepIdParams, SweepList, type SweepSummary, SweepView } from "@layerlab/api";
import { sweepReportHtml } from "@layerlab/report/sweep";
import {
  isKFold,
  kFoldResult,
  type RunMetrics,
  type SweepOutcome,
  SweepPlan,
  summarizeSweep,
  sweepScore,
} from "@layerlab/spec";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { RunRow, SweepRow } from "../db/schema";
import { found, HttpError } from "../http-error";
import { createSweep } from "../runs/create-sweep";
import { runDir } from "../runs/run-files";
import { runSummaryView } from "../runs/run-view";
import { CREATE_RUN_BODY_LIMIT } from "./runs";

/** A finished run's metrics as far as a sweep reads them: its final validation and test accuracy. */
function finalMetrics(row: RunRow): RunMetrics | null {
  if (row.status !== "succeeded" && row.status !== "diverged") return null;
  return {
    epoch: [],
    train_loss: [],
    train_acc: [],
    val_loss: [row.val_loss],
    val_acc: [row.val_accuracy],
    lr: [],
    epoch_seconds: [],
    test_loss: row.test_loss,
    test_acc: row.test_accuracy,
  };
}

function summaryOf(sweep: SweepRow, runs: readonly RunRow[]): SweepSummary {
  const plan = SweepPlan.parse(JSON.parse(sweep.plan));
  const counts: Record<string, number> = {};
  for (const run of runs) counts[run.status] = (counts[run.status] ?? 0) + 1;
  return {
    id: sweep.id,
    name: sweep.name,
    plan,
    dataset: sweep.dataset,
    executor: sweep.executor,
    seed: sweep.seed,
    control: sweep.control,
    createdAt: Number(sweep.created_at),
    counts,
    kind: isKFold(plan) ? "kfold" : "grid",
  };
}

/** The whole view: every run in grid order with its score, and what the finished ones say. */
function viewOf(sweep: SweepRow, runs: readonly RunRow[], places: ReadonlyMap<string, number>): SweepView {
  const summary = summaryOf(sweep, runs);
  const { plan } = summary;
  const cells = runs.map((row) => {
    const cell = row.sweep_cell ?? 0;
    const values = plan.axes.map((axis, k) => {
      // The first axis varies slowest: the cell index read as digits of the axes' sizes.
      const inner = plan.axes.slice(k + 1).reduce((n, a) => n * a.values.length, 1);
      return axis.values[Math.floor(cell / inner) % axis.values.length]!;
    });
    const label = row.name.slice(row.name.lastIndexOf(": ") + 2);
    return { cell, values, label, row, metrics: finalMetrics(row) };
  });
  const outcomes: SweepOutcome[] = cells.map((c) => ({
    cell: { index: c.cell, values: c.values, label: c.label, config: JSON.parse(c.row.config) },
    score: sweepScore(c.metrics),
    diverged: c.row.status === "diverged",
  }));
  const read = summarizeSweep(plan, outcomes);
  return {
    ...summary,
    runs: cells.map((c, i) => ({
      cell: c.cell,
      label: c.label,
      values: c.values,
      score: outcomes[i]!.score,
      run: runSummaryView(c.row, places.get(c.row.id) ?? null),
    })),
    effects: read.effects,
    findings: read.findings,
    kfold: summary.kind === "kfold" ? kFoldResult(cells.map((c) => c.metrics)) : null,
  };
}

/** /api/sweeps: create (queue the grid), list, get (with the findings), stop, delete as one. */
export async function sweepRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const load = async (id: string) => {
    const sweep = found(await app.registry.getSweep(id), `sweep ${id}`);
    return { sweep, runs: await app.registry.runsOfSweep(id) };
  };
  const view = async (id: string) => {
    const { sweep, runs } = await load(id);
    return viewOf(sweep, runs, await app.jobs.queuePositions());
  };

  app.post(
    "/api/sweeps",
    {
      schema: {
        summary: "Queue a sweep: one run per combination of the plan's values (or per fold), all from one seed",
        body: CreateSweepBody,
        response: { 201: SweepView, "4xx": ErrorBody, "5xx": ErrorBody },
      },
      bodyLimit: CREATE_RUN_BODY_LIMIT,
    },
    async (req, reply) => {
      const sweep = await createSweep(
        { registry: app.registry, queue: app.jobs, dataDir: app.settings.dataDir },
        req.body,
      );
      return reply.code(201).send(await view(sweep.id));
    },
  );

  app.get(
    "/api/sweeps",
    { schema: { summary: "Every sweep, newest first", response: { 200: SweepList } } },
    async () => {
      const sweeps = await app.registry.listSweeps();
      return {
        sweeps: await Promise.all(sweeps.map(async (s) => summaryOf(s, await app.registry.runsOfSweep(s.id)))),
      };
    },
  );

  app.get(
    "/api/sweeps/:id",
    {
      schema: {
        summary: "A sweep with its runs in grid order, their scores and what they say",
        params: SweepIdParams,
        response: { 200: SweepView, "4xx": ErrorBody },
      },
    },
    async (req) => view(req.params.id),
  );

  app.get(
    "/api/sweeps/:id/report",
    {
      schema: {
        summary:
          "The sweep's report: one self-contained HTML page (what was held fixed, the runs, the chart, the findings)",
        params: SweepIdParams,
        produces: ["text/html"],
        response: {
          200: { description: "The report page", content: { "text/html": { schema: z.string() } } },
          "4xx": ErrorBody,
        },
      },
    },
    async (req, reply) => {
      const html = sweepReportHtml(await view(req.params.id), { source: "the LayerLab server's registry" });
      return reply
        .type("text/html; charset=utf-8")
        .header("content-disposition", `attachment; filename="${req.params.id}-report.html"`)
        .send(html);
    },
  );

  app.post(
    "/api/sweeps/:id/abort",
    {
      schema: {
        summary: "Stop every queued or running run of a sweep",
        params: SweepIdParams,
        response: { 202: SweepView, "4xx": ErrorBody },
      },
    },
    async (req, reply) => {
      const { runs } = await load(req.params.id);
      for (const run of runs.filter((r) => r.status === "queued" || r.status === "running")) {
        if (!(await app.jobs.abort(run.id, "the sweep was stopped"))) {
          await app.registry.transitionRun(run.id, ["queued", "running"], "aborted", {
            finished_at: Date.now(),
            error: "the sweep was stopped",
          });
        }
      }
      return reply.code(202).send(await view(req.params.id));
    },
  );

  app.delete(
    "/api/sweeps/:id",
    {
      schema: {
        summary: "Delete a sweep and all its runs (stop its running runs first)",
        params: SweepIdParams,
      },
    },
    async (req, reply) => {
      const { sweep, runs } = await load(req.params.id);
      const running = runs.filter((r) => r.status === "running" && r.executor === "server");
      if (running.length > 0) {
        throw new HttpError(
          409,
          `sweep ${sweep.id} has ${running.length} run${running.length === 1 ? "" : "s"} training; stop the sweep first (POST /api/sweeps/${sweep.id}/abort), then delete it`,
        );
      }
      for (const run of runs) {
        if (run.status === "queued") await app.jobs.abort(run.id, "deleted with its sweep");
        await app.registry.deleteRun(run.id);
        await rm(runDir(app.settings.dataDir, run.id), { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      }
      await app.registry.deleteSweep(sweep.id);
      return reply.code(204).send();
    },
  );
}
