import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import type { CreateSweepBody } from "@layerlab/api";
import { expandSweep, kFoldPlan, type SweepPlan, sweepControlStatement } from "@layerlab/spec";
import type { SweepRow } from "../db/schema";
import { HttpError } from "../http-error";
import { type CreateRunContext, createRun } from "./create-run";
import { runDir } from "./run-files";

/** A fresh, sortable sweep id such as `sweep-lq2x3k9a-4f1c2b7e`. */
export function newSweepId(): string {
  return `sweep-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/**
 * Registers a sweep and one run per cell of its grid, queued (server) or waiting for the browser that
 * trains them one after another. Every cell is checked before any run exists; if creating a run still
 * fails, the runs made so far and the sweep are removed, so a sweep is never half there.
 */
export async function createSweep(ctx: CreateRunContext, body: CreateSweepBody): Promise<SweepRow> {
  if (body.executor === "import") {
    throw new HttpError(400, 'a sweep trains its runs: use executor "server" or "browser"');
  }
  const { base, plan } =
    body.folds !== undefined
      ? kFoldPlan((body.config ?? {}) as never, body.folds)
      : { base: (body.config ?? {}) as never, plan: body.plan as SweepPlan };
  const grid = expandSweep(base, plan);
  if (!grid.ok) throw new HttpError(400, "the sweep cannot run", { problems: grid.problems });
  const seed = grid.cells[0]!.config.seed;
  const sweep: SweepRow = {
    id: newSweepId(),
    name: body.name?.trim() || plan.name || `Sweep of ${plan.axes.map((a) => a.field).join(" × ")}`,
    plan: JSON.stringify(plan),
    dataset: body.dataset,
    executor: body.executor,
    seed,
    control: sweepControlStatement(plan, seed),
    created_at: Date.now(),
  };
  await ctx.registry.insertSweep(sweep);
  const made: string[] = [];
  try {
    for (const cell of grid.cells) {
      const { plan: _plan, folds: _folds, ...runBody } = body;
      const result = await createRun(ctx, {
        ...runBody,
        config: cell.config,
        name: `${sweep.name}: ${cell.label}`,
        ifExists: "new",
        sweep: { id: sweep.id, cell: cell.index },
      });
      made.push(result.row.id);
    }
  } catch (err) {
    for (const id of made) {
      await ctx.queue.abort(id, "the sweep could not be created");
      await ctx.registry.deleteRun(id);
      await rm(runDir(ctx.dataDir, id), { recursive: true, force: true });
    }
    await ctx.registry.deleteSweep(sweep.id);
    throw err;
  }
  return sweep;
}
