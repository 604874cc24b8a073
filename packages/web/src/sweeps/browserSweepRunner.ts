import { useSyncExternalStore } from "react";
import { trainer } from "../train/trainer";

/*
 * A sweep trained in this page: its runs one after another, each with the same machinery as any browser
 * run (the page's trainer, and its events reported to the server's registry or kept in this browser's
 * store). One sweep at a time: a second would only halve the speed of both. It lives beside the trainer,
 * not in a page, so moving between pages does not stop it.
 */

/** One run of the sweep to train: `start` hands it to the trainer (and to its reporter); its end comes as events. */
export interface SweepJob {
  runId: string;
  start: () => Promise<void>;
}

/** What the page shows of the sweep this page trains. */
export interface SweepRunnerState {
  sweepId: string | null;
  /** The run training now. */
  current: string | null;
  /** Runs still to start after the current one. */
  waiting: number;
  /** Why a run could not start, in words (the sweep moves on to the next). */
  problems: string[];
}

/** How long a finished run waits for its results before the next run starts anyway. */
const RESULTS_WAIT_MS = 30_000;

let state: SweepRunnerState = { sweepId: null, current: null, waiting: 0, problems: [] };
const listeners = new Set<() => void>();
let stopRequested = false;
/** Resolves when the sweep this page trains has ended (after a stop, once its current run has ended). */
let finished: Promise<void> = Promise.resolve();

function set(patch: Partial<SweepRunnerState>) {
  state = { ...state, ...patch };
  for (const l of listeners) l();
}

/** The sweep this page trains now, if any. */
export function sweepRunnerState(): SweepRunnerState {
  return state;
}

/** Whether this page trains sweep `id` now. */
export function isTrainingSweep(id: string): boolean {
  return state.sweepId === id;
}

/** The runner's state, re-rendering on change. */
export function useSweepRunner(): SweepRunnerState {
  return useSyncExternalStore((l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  }, sweepRunnerState);
}

/** Resolves once run `runId` has ended: an end event, and for a finished run its results (or a timeout). */
function ended(runId: string): { done: Promise<void>; cancel: () => void } {
  let stop = () => {};
  let timer: ReturnType<typeof setTimeout> | null = null;
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      if (timer) clearTimeout(timer);
      stop();
      resolve();
    };
    stop = trainer.observe(runId, (change) => {
      if (change.type === "results") finish();
      else if (change.type === "event" && change.event.type === "done") timer = setTimeout(finish, RESULTS_WAIT_MS);
      else if (change.type === "event" && ["aborted", "error", "diverged"].includes(change.event.type)) finish();
    });
  });
  return { done, cancel: stop };
}

/**
 * Trains `jobs` of sweep `sweepId` one after another in this page. Rejects at once when another sweep trains
 * here; a run that cannot start is noted and skipped. Resolves when the last run has ended or the sweep was stopped.
 */
export function trainSweepHere(sweepId: string, jobs: readonly SweepJob[]): Promise<void> {
  if (state.sweepId !== null && state.sweepId !== sweepId) {
    return Promise.reject(
      new Error("another sweep is training in this browser; stop it or let it finish, then start this one"),
    );
  }
  if (state.sweepId === sweepId) return finished;
  stopRequested = false;
  set({ sweepId, current: null, waiting: jobs.length, problems: [] });
  finished = (async () => {
    try {
      for (const [i, job] of jobs.entries()) {
        if (stopRequested) break;
        set({ current: job.runId, waiting: jobs.length - i - 1 });
        const end = ended(job.runId);
        try {
          await job.start();
        } catch (err) {
          end.cancel();
          set({ problems: [...state.problems, `${job.runId}: ${err instanceof Error ? err.message : String(err)}`] });
          continue;
        }
        // Stopped while the run was being set up: the abort sent then came before the worker had it.
        if (stopRequested) trainer.abort(job.runId);
        await end.done;
      }
    } finally {
      set({ sweepId: null, current: null, waiting: 0 });
    }
  })();
  return finished;
}

/** Stops the sweep this page trains: no further run starts, the current one is aborted; resolves once it has ended. */
export async function stopSweepHere(sweepId: string): Promise<void> {
  if (state.sweepId !== sweepId) return;
  stopRequested = true;
  if (state.current) trainer.abort(state.current);
  await finished;
}
