import { useEffect, useState } from "react";
import { listSweeps, type SweepSummary } from "../api/client";
import { hasLocalStore, listStoredRuns } from "../registry/localRunStore";
import { useSweepRunner } from "./browserSweepRunner";
import { listStoredSweeps, onStoredSweepChange } from "./localSweepStore";
import { deleteSweepById } from "./sweepActions";
import { settingLabel } from "./sweepSettings";
import "./sweeps.css";

/** A sweep as the list shows it. */
interface SweepRow {
  id: string;
  name: string;
  varies: string;
  counts: Record<string, number>;
  where: string;
  createdAt: number;
}

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });

/** "learning rate (3) × optimizer (2)", or "5 folds". */
function variesText(s: Pick<SweepSummary, "plan" | "kind">): string {
  if (s.kind === "kfold") return `${s.plan.axes[0]?.values.length ?? 0} folds`;
  return s.plan.axes.map((a) => `${settingLabel(a.field).toLowerCase()} (${a.values.length})`).join(" × ");
}

/** "4 succeeded · 2 queued". */
function countsText(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([status, n]) => `${n} ${status}`);
  return parts.length > 0 ? parts.join(" · ") : "no runs";
}

/** How often the list is read again while a sweep in it still trains. */
const REFRESH_MS = 3000;

/** The server's sweeps and this browser's, newest first; read again while one of them still trains. */
function useSweepRows(serverUp: boolean, version: number): { rows: SweepRow[]; error: string | null } {
  const [server, setServer] = useState<SweepRow[]>([]);
  const [local, setLocal] = useState<SweepRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const runner = useSweepRunner();

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` and the runner's sweep are signals to read again.
  useEffect(() => {
    if (!serverUp) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const read = () =>
      listSweeps().then(
        (sweeps) => {
          if (!live) return;
          setError(null);
          setServer(
            sweeps.map((s) => ({
              id: s.id,
              name: s.name,
              varies: variesText(s),
              counts: s.counts,
              where: s.executor === "server" ? "server" : "browser",
              createdAt: s.createdAt,
            })),
          );
          if (sweeps.some((s) => (s.counts.queued ?? 0) + (s.counts.running ?? 0) > 0))
            timer = setTimeout(read, REFRESH_MS);
        },
        (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
      );
    void read();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [serverUp, version, runner.sweepId]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` and the runner's run are signals to read again.
  useEffect(() => {
    if (!hasLocalStore()) return;
    let live = true;
    const read = async () => {
      const [sweeps, runs] = await Promise.all([listStoredSweeps(), listStoredRuns()]);
      const statusOf = new Map(runs.map((r) => [r.id, r.status]));
      if (!live) return;
      setLocal(
        sweeps.map((s) => {
          const counts: Record<string, number> = {};
          for (const r of s.runs) {
            const status = statusOf.get(r.id);
            if (status) counts[status] = (counts[status] ?? 0) + 1;
          }
          return {
            id: s.id,
            name: s.name,
            varies: variesText(s),
            counts,
            where: "this browser",
            createdAt: s.createdAt,
          };
        }),
      );
    };
    void read().catch(() => undefined);
    const stop = onStoredSweepChange(() => void read().catch(() => undefined));
    return () => {
      live = false;
      stop();
    };
  }, [version, runner.current]);

  return { rows: [...server, ...local].sort((a, b) => b.createdAt - a.createdAt), error };
}

/** The Runs page's list of sweeps: open one, or delete it with all its runs. */
export function SweepsSection({ serverUp, onDeleted }: { serverUp: boolean; onDeleted?: () => void }) {
  const [version, setVersion] = useState(0);
  const [actionError, setActionError] = useState<string | null>(null);
  const { rows, error } = useSweepRows(serverUp, version);
  const remove = (row: SweepRow) => {
    const n = Object.values(row.counts).reduce((a, b) => a + b, 0);
    if (!confirm(`Delete the sweep "${row.name}" and its ${n} run${n === 1 ? "" : "s"} with their files?`)) return;
    deleteSweepById(row.id).then(
      () => {
        setActionError(null);
        setVersion((v) => v + 1);
        onDeleted?.();
      },
      (err: unknown) => setActionError(err instanceof Error ? err.message : String(err)),
    );
  };
  return (
    <section className="panel wide" aria-labelledby="sweeps-h">
      <div className="toolbar">
        <h2 id="sweeps-h">Sweeps</h2>
        <span className="muted">Runs that differ only in the settings a sweep names; each opens as one result.</span>
      </div>
      {(error ?? actionError) && <p className="problem error">{error ?? actionError}</p>}
      <div className="table-scroll">
        <table className="runs sweeps-table" data-testid="sweeps-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Varies</th>
              <th scope="col">Runs</th>
              <th scope="col">Trained by</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id}>
                <td className="run-name">
                  <a href={`#/sweeps/${encodeURIComponent(row.id)}`}>{row.name}</a>
                </td>
                <td data-label="Varies">{row.varies}</td>
                <td data-label="Runs">{countsText(row.counts)}</td>
                <td data-label="Trained by">{row.where}</td>
                <td data-label="Created" className="nowrap">
                  {DATE.format(row.createdAt)}
                </td>
                <td>
                  <div className="actions">
                    <a className="button" href={`#/sweeps/${encodeURIComponent(row.id)}`}>
                      Open
                    </a>
                    <button type="button" className="danger" onClick={() => remove(row)}>
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No sweeps yet. On the Train page, "Sweep…" compares settings (or runs a k-fold cross-validation).
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
