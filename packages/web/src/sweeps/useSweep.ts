import { useEffect, useMemo, useState } from "react";
import { ApiError, getRun, getSweep, type SweepView } from "../api/client";
import { getStoredRun, onStoredRunChange, type StoredRun } from "../registry/localRunStore";
import { settleOrphanedRuns } from "../train/orphanedRuns";
import { trainer } from "../train/trainer";
import { useTrainer } from "../train/useTrainer";
import { useSweepRunner } from "./browserSweepRunner";
import { getStoredSweep, isLocalSweepId, onStoredSweepChange, type StoredSweep } from "./localSweepStore";
import { localSweepView } from "./localSweepView";
import { curveOfDetail, type SweepCurve } from "./sweepCurves";
import { openRuns } from "./sweepResults";

/*
 * A sweep as its page shows it, kept up to date while its runs train: a server's sweep is asked again every
 * moment until its last run has ended (and each run's curve only when that run moved on); a sweep of this
 * browser is read from its stores and from the page's trainer.
 */

/** What the sweep page reads. */
export interface LoadedSweep {
  view: SweepView | null;
  curves: SweepCurve[];
  error: string | null;
  /** True once the sweep is known not to exist (deleted, or another browser's). */
  missing: boolean;
  /** Reads the sweep again (after a stop, or to follow a sweep continued here). */
  reload: () => void;
}

/** How often a server sweep with open runs is asked again. */
const POLL_MS = 1500;

/** Sweep `id`, from the server or from this browser. */
export function useSweep(id: string): LoadedSweep {
  const local = isLocalSweepId(id);
  const server = useServerSweep(id, !local);
  const here = useLocalSweep(id, local);
  return local ? here : server;
}

function useServerSweep(id: string, enabled: boolean): LoadedSweep {
  const [view, setView] = useState<SweepView | null>(null);
  const [curves, setCurves] = useState<Map<string, SweepCurve>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const [tick, setTick] = useState(0);
  const runner = useSweepRunner();
  const trainingHere = runner.sweepId === id;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` and `trainingHere` are signals to follow the sweep again.
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    // Which state of each run its curve was read at: a run's curve is read again only when it moved on.
    const readAt = new Map<string, string>();
    const poll = async () => {
      try {
        const next = await getSweep(id);
        if (!live) return;
        setView(next);
        setError(null);
        const moved = next.runs.filter((r) => readAt.get(r.run.id) !== `${r.run.status}:${r.run.epochsDone}`);
        const details = await Promise.all(moved.map((r) => getRun(r.run.id).catch(() => null)));
        if (!live) return;
        moved.forEach((r, i) => {
          if (details[i]) readAt.set(r.run.id, `${r.run.status}:${r.run.epochsDone}`);
        });
        setCurves((before) => {
          const after = new Map(before);
          for (const d of details) if (d) after.set(d.id, curveOfDetail(d));
          return after;
        });
        if (openRuns(next) > 0) timer = setTimeout(poll, POLL_MS);
      } catch (err) {
        if (!live) return;
        if (err instanceof ApiError && err.status === 404) {
          setMissing(true);
          setError(`there is no sweep ${id}: it was deleted, or the address is wrong`);
        } else {
          setError(err instanceof Error ? err.message : String(err));
          timer = setTimeout(poll, POLL_MS * 2);
        }
      }
    };
    void poll();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [id, enabled, tick, trainingHere]);

  const list = useMemo(() => (view ? view.runs.flatMap((r) => curves.get(r.run.id) ?? []) : []), [view, curves]);
  return { view, curves: list, error, missing, reload: () => setTick((t) => t + 1) };
}

function useLocalSweep(id: string, enabled: boolean): LoadedSweep {
  const [sweep, setSweep] = useState<StoredSweep | null>(null);
  const [runs, setRuns] = useState<Map<string, StoredRun>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const [tick, setTick] = useState(0);
  const state = useTrainer();

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is the signal to read the stores again.
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    const load = async () => {
      // Runs whose page closed mid-run are settled first, so they read as interrupted (or waiting) here.
      await settleOrphanedRuns();
      const record = await getStoredSweep(id);
      if (!live) return;
      if (!record) {
        setMissing(true);
        setError(`this browser keeps no sweep ${id}: it was deleted, or made in another browser`);
        return;
      }
      const stored = await Promise.all(record.runs.map((r) => getStoredRun(r.id)));
      if (!live) return;
      setSweep(record);
      setRuns(new Map(stored.flatMap((r) => (r ? [[r.id, r] as const] : []))));
    };
    load().catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    const stopRuns = onStoredRunChange((runId, run) =>
      setRuns((before) => {
        if (!before.has(runId) && !run) return before;
        const after = new Map(before);
        if (run) after.set(runId, run);
        else after.delete(runId);
        return after;
      }),
    );
    const stopSweeps = onStoredSweepChange(() => void load().catch(() => undefined));
    return () => {
      live = false;
      stopRuns();
      stopSweeps();
    };
  }, [id, enabled, tick]);

  const read = useMemo(() => {
    if (!sweep) return null;
    // Only this sweep's runs: a saved run of another sweep or of the Train page does not belong here.
    const own = new Map([...runs].filter(([runId]) => sweep.runs.some((r) => r.id === runId)));
    return localSweepView(sweep, own, state.runs, (runId) => trainer.isTraining(runId));
  }, [sweep, runs, state]);
  return {
    view: read?.view ?? null,
    curves: read?.curves ?? [],
    error,
    missing,
    reload: () => setTick((t) => t + 1),
  };
}
