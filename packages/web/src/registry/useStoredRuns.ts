import { useEffect, useState } from "react";
import type { RunSummary } from "../api/client";
import { hasLocalStore, listStoredRuns, onStoredRunChange, type StoredRun, storedRunSummary } from "./localRunStore";

/** Statuses a stored run cannot still have once the page that trained it is gone. */
const UNFINISHED = ["queued", "running"];

/**
 * The runs this browser keeps (a studio without a server), as run summaries,
 * read again whenever `refresh` changes and kept up to date with every run
 * this page saves or deletes; `activeIds` are trained by this page now,
 * every other unfinished one was interrupted by a closed tab.
 */
export function useStoredRuns(enabled: boolean, refresh: unknown, activeIds: readonly string[]): RunSummary[] {
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const active = activeIds.join(",");
  // biome-ignore lint/correctness/useExhaustiveDependencies: `refresh` is the signal to read the store again.
  useEffect(() => {
    if (!enabled || !hasLocalStore()) return;
    let live = true;
    const activeNow = active.split(",");
    const summaryOf = (r: StoredRun): RunSummary => {
      const summary = storedRunSummary(r);
      if (UNFINISHED.includes(summary.status) && !activeNow.includes(r.id)) summary.status = "interrupted";
      return summary;
    };
    // A saved run replaces its row (or joins, newest first), a deleted one leaves: no need to read every run again.
    const stop = onStoredRunChange((id, run) =>
      setRuns((list) => {
        const others = list.filter((r) => r.id !== id);
        if (!run) return others;
        const summary = summaryOf(run);
        return list.some((r) => r.id === id)
          ? list.map((r) => (r.id === id ? summary : r))
          : [summary, ...others].sort((a, b) => b.createdAt - a.createdAt);
      }),
    );
    listStoredRuns().then(
      (all) => live && setRuns(all.map(summaryOf)),
      () => live && setRuns([]),
    );
    return () => {
      live = false;
      stop();
    };
  }, [enabled, refresh, active]);
  return runs;
}
