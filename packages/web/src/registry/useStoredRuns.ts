import { useEffect, useState } from "react";
import type { RunSummary } from "../api/client";
import { hasLocalStore, listStoredRuns, storedRunSummary } from "./localRunStore";

/** Statuses a stored run cannot still have once the page that trained it is gone. */
const UNFINISHED = ["queued", "running"];

/**
 * The runs this browser keeps (a studio without a server), as run summaries,
 * read again whenever `refresh` changes; `activeIds` are trained by this page now,
 * every other unfinished one was interrupted by a closed tab.
 */
export function useStoredRuns(enabled: boolean, refresh: unknown, activeIds: readonly string[]): RunSummary[] {
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const active = activeIds.join(",");
  // biome-ignore lint/correctness/useExhaustiveDependencies: `refresh` is the signal to read the store again.
  useEffect(() => {
    if (!enabled || !hasLocalStore()) return;
    let live = true;
    listStoredRuns().then(
      (all) =>
        live &&
        setRuns(
          all.map((r) => {
            const summary = storedRunSummary(r);
            if (UNFINISHED.includes(summary.status) && !active.split(",").includes(r.id))
              summary.status = "interrupted";
            return summary;
          }),
        ),
      () => live && setRuns([]),
    );
    return () => {
      live = false;
    };
  }, [enabled, refresh, active]);
  return runs;
}
