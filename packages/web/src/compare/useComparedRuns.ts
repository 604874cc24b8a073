import { useCallback, useEffect, useState } from "react";
import { getRun } from "../api/client";
import { isLocalRunId, openRun, studioOfServerRun } from "../registry/openRun";
import { attachServerRun } from "../train/serverRuns";
import { trainer } from "../train/trainer";
import { comparedRunIds, compareHash } from "./compareAddress";

/** The runs a Compare address names, brought into the page, and what could not be. */
export interface ComparedRuns {
  /** The ids the address names (empty: the page picks the latest runs). */
  ids: string[];
  /** Runs still being opened. */
  opening: number;
  /** One line per run that could not be opened, saying why. */
  problems: string[];
  /** Names `ids` in the address (without a new history entry). */
  choose(ids: string[]): void;
}

/** Loads run `id` into the page's trainer as the Runs page's Compare does: a stored browser run, or a server run followed. */
async function bringIntoPage(id: string): Promise<void> {
  if (trainer.getState().runs.some((r) => r.id === id)) return;
  if (isLocalRunId(id)) {
    await openRun(id);
    return;
  }
  const detail = await getRun(id);
  attachServerRun(id, detail.name, studioOfServerRun(detail));
  trainer.setRegistry(id, { registryStatus: detail.status });
}

/**
 * The runs named by the page's `#/compare?runs=…` address, opened into the
 * page's trainer when it does not hold them (after a reload, from a bookmark),
 * so a comparison survives reloads and server restarts.
 */
export function useComparedRuns(): ComparedRuns {
  const [ids, setIds] = useState(() => comparedRunIds(window.location.hash));
  const [opening, setOpening] = useState(0);
  const [problems, setProblems] = useState<string[]>([]);

  useEffect(() => {
    const onHash = () => setIds(comparedRunIds(window.location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    let live = true;
    const missing = ids.filter((id) => !trainer.getState().runs.some((r) => r.id === id));
    setProblems([]);
    setOpening(missing.length);
    for (const id of missing) {
      bringIntoPage(id)
        .catch((err: unknown) => {
          if (live)
            setProblems((p) => [
              ...p,
              `Run ${id} could not be opened: ${err instanceof Error ? err.message : String(err)}`,
            ]);
        })
        .finally(() => {
          if (live) setOpening((n) => n - 1);
        });
    }
    return () => {
      live = false;
    };
  }, [ids]);

  const choose = useCallback((next: string[]) => {
    setIds(next);
    window.history.replaceState(window.history.state, "", compareHash(next));
  }, []);

  return { ids, opening, problems, choose };
}
