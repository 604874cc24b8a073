import {
  expandSweep,
  kFoldPlan,
  type SweepPlan,
  sweepControlStatement,
  type TrainingConfigInput,
} from "@layerlab/spec";
import { createSweep } from "../api/client";
import { putStoredRun, type StoredRun } from "../registry/localRunStore";
import type { Studio } from "../state/studio";
import { localFingerprint } from "../train/browserRuns";
import { serverDatasetId } from "../train/serverRuns";
import { sweepRunnerState, trainSweepHere } from "./browserSweepRunner";
import { newLocalSweepId, putStoredSweep, type StoredSweep } from "./localSweepStore";
import { localSweepJobs, rememberSweepLimit, serverSweepJobs } from "./sweepJobs";

/*
 * Starting a sweep from the Train page. On the server: its queue trains the grid. In this browser: the
 * runs are registered with the server when one answers (so the registry lists the sweep as any other),
 * else kept in this browser's stores, and this page trains them one after another.
 */

/** What to sweep: a grid of one or two settings, or a k-fold cross-validation. */
export type SweepChoice = { kind: "grid"; plan: SweepPlan } | { kind: "kfold"; folds: number };

/** The base config and the plan a choice expands: a k-fold sweeps the held-out fold. */
export function planOf(
  config: TrainingConfigInput,
  choice: SweepChoice,
): { base: TrainingConfigInput; plan: SweepPlan } {
  return choice.kind === "kfold" ? kFoldPlan(config, choice.folds) : { base: config, plan: choice.plan };
}

/** The name a sweep gets when none is typed (as the server names its sweeps). */
export function defaultSweepName(plan: SweepPlan): string {
  return plan.name ?? `Sweep of ${plan.axes.map((a) => a.field).join(" × ")}`;
}

/** A sweep to start. */
export interface SweepStart {
  studio: Studio;
  choice: SweepChoice;
  where: "server" | "browser";
  serverUp: boolean;
  /** Train every run on the first N samples only. */
  limit?: number;
  name?: string;
}

/** Starts the sweep and answers its id (a server's, or this browser's `browser-sweep-…`). */
export async function startSweep(req: SweepStart): Promise<string> {
  const { studio, choice } = req;
  const body = {
    spec: studio.spec as Record<string, unknown>,
    config: studio.config as Record<string, unknown>,
    ...(req.limit ? { limit: req.limit } : {}),
    ...(req.name?.trim() ? { name: req.name.trim() } : {}),
    ...(choice.kind === "kfold" ? { folds: choice.folds } : { plan: choice.plan }),
  };
  if (req.where === "server") {
    const view = await createSweep({ ...body, dataset: serverDatasetId(studio), executor: "server" });
    return view.id;
  }
  if (sweepRunnerState().sweepId !== null) {
    throw new Error("a sweep is training in this browser already; stop it or let it finish, then start another");
  }
  let dataset: string | null = null;
  if (req.serverUp) {
    try {
      dataset = serverDatasetId(studio);
    } catch {
      // A shapes variant the server does not generate: this browser keeps the sweep.
    }
  }
  if (dataset === null) return startLocalSweep(req);
  const view = await createSweep({ ...body, dataset, executor: "browser" });
  const limit = req.limit ?? null;
  rememberSweepLimit(view.id, limit);
  void trainSweepHere(
    view.id,
    serverSweepJobs(
      view.runs.map((r) => r.run.id),
      limit,
    ),
  );
  return view.id;
}

/** A sweep kept in this browser: one stored run per cell (waiting), one sweep record naming them, trained here. */
async function startLocalSweep(req: SweepStart): Promise<string> {
  const { base, plan } = planOf(req.studio.config, req.choice);
  const grid = expandSweep(base, plan);
  if (!grid.ok) throw new Error(`the sweep cannot run: ${grid.problems.join("; ")}`);
  const seed = grid.cells[0]!.config.seed;
  const id = newLocalSweepId();
  const name = req.name?.trim() || defaultSweepName(plan);
  const limit = req.limit ?? null;
  const d = req.studio.dataset;
  const dataset = d.kind === "server" ? d.id : "shapes";
  const runs: StoredRun[] = grid.cells.map((cell) => {
    const studio: Studio = { ...req.studio, config: cell.config };
    return {
      id: `browser-${crypto.randomUUID().slice(0, 8)}`,
      name: `${name}: ${cell.label}`,
      status: "queued",
      studio,
      dataset,
      limit,
      fingerprint: localFingerprint(studio, req.limit) ?? `unique-${crypto.randomUUID()}`,
      createdAt: Date.now(),
      startedAt: null,
      finishedAt: null,
      error: null,
      events: [],
      results: null,
    };
  });
  const sweep: StoredSweep = {
    id,
    name,
    plan,
    kind: req.choice.kind,
    seed,
    control: sweepControlStatement(plan, seed),
    dataset,
    limit,
    createdAt: Date.now(),
    runs: grid.cells.map((cell, i) => ({ id: runs[i]!.id, label: cell.label, values: cell.values })),
  };
  for (const run of runs) await putStoredRun(run);
  await putStoredSweep(sweep);
  void trainSweepHere(
    id,
    localSweepJobs(
      runs.map((r) => r.id),
      limit,
    ),
  );
  return id;
}
