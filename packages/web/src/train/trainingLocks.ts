/*
 * Which registered browser runs a page of this browser is training now. The
 * tab that trains a run holds a Web Lock named after it until the run ends;
 * the browser frees the lock when the tab closes or reloads. The ids of the
 * server-registered runs this browser trains are also kept in localStorage,
 * so that a later page knows which of the registry's running browser runs
 * were this browser's: one of those with no lock held was left behind by its
 * page, and is interrupted.
 */

const LIST_KEY = "layerlab.browserRunsTraining";
const lockName = (runId: string) => `layerlab-training:${runId}`;

/** Whether this browser offers Web Locks (without them no page can tell another's runs from orphans). */
export function hasTrainingLocks(): boolean {
  return typeof navigator !== "undefined" && typeof navigator.locks?.request === "function";
}

function readList(): string[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(LIST_KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}

function writeList(ids: string[]): void {
  try {
    localStorage.setItem(LIST_KEY, JSON.stringify([...new Set(ids)]));
  } catch {
    // Storage full or off: the run cannot be found orphaned later, which is all this list is for.
  }
}

/**
 * Holds run `runId`'s training lock until the returned function is called
 * (at the run's end); `listed` also records the id for later pages (runs
 * registered with the server). Resolves once the lock is held.
 */
export async function holdWhileTraining(runId: string, listed: boolean): Promise<() => void> {
  if (!hasTrainingLocks()) return () => {};
  let release = () => {};
  const ended = new Promise<void>((resolve) => {
    release = resolve;
  });
  await new Promise<void>((held) => {
    void navigator.locks.request(lockName(runId), () => {
      if (listed) writeList([...readList(), runId]);
      held();
      return ended;
    });
  });
  return () => {
    if (listed) writeList(readList().filter((id) => id !== runId));
    release();
  };
}

/** Of `runIds`, those no page of this browser holds the training lock of (none when Web Locks are missing). */
export async function runsTrainedNowhere(runIds: readonly string[]): Promise<string[]> {
  if (!hasTrainingLocks() || runIds.length === 0) return [];
  const { held = [] } = await navigator.locks.query();
  const names = new Set(held.map((lock) => lock.name));
  return runIds.filter((id) => !names.has(lockName(id)));
}

/** The server-registered runs this browser has started and not seen end. */
export function listedTrainingRuns(): string[] {
  return readList();
}

/** Forgets run `runId` (its orphaned state has been recorded, or it no longer exists). */
export function unlistTrainingRun(runId: string): void {
  writeList(readList().filter((id) => id !== runId));
}
