import { useEffect, useMemo, useState } from "react";
import { deleteRun, getRun, listRuns, type RunSummary, updateRun } from "../api/client";
import type { DatasetChoice } from "../data/datasets";
import type { StudioApi } from "../state/useStudio";
import { attachServerRun } from "../train/serverRuns";
import { useServerAvailable, useTrainer } from "../train/useTrainer";

type SortKey = "createdAt" | "name" | "status" | "testAccuracy" | "dataset";

/** A row of the table: a registry run or a run of this page, in one shape. */
interface Row {
  id: string;
  name: string;
  status: string;
  accuracy: number | null;
  dataset: string;
  model: string;
  seconds: number | null;
  createdAt: number;
  tags: string[];
  server: RunSummary | null;
}

/** The registry as a sortable, filterable table with open, rename, tag, delete and compare. */
export function RunsPage({ api }: { api: StudioApi }) {
  const serverUp = useServerAvailable();
  const local = useTrainer();
  const [serverRuns, setServerRuns] = useState<RunSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: "createdAt", desc: true });
  const [checked, setChecked] = useState<Set<string>>(new Set());
  const refresh = () => listRuns().then(setServerRuns, (e) => setError(String(e.message ?? e)));
  // biome-ignore lint/correctness/useExhaustiveDependencies: refresh when the server is found.
  useEffect(() => {
    if (serverUp) refresh();
  }, [serverUp]);

  const rows: Row[] = useMemo(() => {
    const fromServer = serverRuns.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      accuracy: r.testAccuracy,
      dataset: r.dataset,
      model: `${r.modelKind} ${r.hiddenUnits.join("-")} · ${r.optimizer} · bs ${r.batchSize} · ${r.epochs} ep`,
      seconds: r.finishedAt && r.startedAt ? (r.finishedAt - r.startedAt) / 1000 : null,
      createdAt: r.createdAt,
      tags: r.tags,
      server: r,
    }));
    const fromPage = local.runs
      .filter((r) => r.where === "browser")
      .map((r) => ({
        id: r.id,
        name: r.name,
        status: r.series.end ? (r.series.end.type === "done" ? "succeeded" : r.series.end.type) : "running",
        accuracy: r.results?.accuracy ?? null,
        dataset: r.studio.dataset.kind === "shapes" ? "shapes" : r.studio.dataset.id,
        model: `${(r.studio.spec.layers ?? []).length} layers · this browser`,
        seconds: r.series.end?.type === "done" ? r.series.end.seconds : null,
        createdAt: r.series.startedAt ?? 0,
        tags: [],
        server: null,
      }));
    const q = filter.trim().toLowerCase();
    const all = [...fromServer, ...fromPage].filter(
      (r) => !q || [r.name, r.status, r.dataset, r.model, ...r.tags].some((s) => s.toLowerCase().includes(q)),
    );
    const key = sort.key === "testAccuracy" ? "accuracy" : sort.key;
    return all.sort((a, b) => {
      const va = a[key as keyof Row] ?? -1;
      const vb = b[key as keyof Row] ?? -1;
      const c = va < vb ? -1 : va > vb ? 1 : 0;
      return sort.desc ? -c : c;
    });
  }, [serverRuns, local.runs, filter, sort]);

  const header = (key: SortKey, label: string) => (
    <th scope="col" aria-sort={sort.key === key ? (sort.desc ? "descending" : "ascending") : "none"}>
      <button
        type="button"
        className="ghost"
        onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : true }))}
      >
        {label} {sort.key === key ? (sort.desc ? "▼" : "▲") : ""}
      </button>
    </th>
  );
  const act = (p: Promise<unknown>) => p.then(refresh, (e) => setError(String(e.message ?? e)));
  const open = async (row: Row) => {
    if (!row.server) {
      window.location.hash = "#/train";
      return;
    }
    const detail = await getRun(row.id);
    const dataset: DatasetChoice = {
      kind: "server",
      id: detail.dataset,
      shape: detail.spec.input.shape as [number, number, number],
      classes: detail.spec.classes,
    };
    api.run("importSpec", { spec: detail.spec });
    attachServerRun(row.id, row.name, { spec: detail.spec, config: detail.config, dataset });
    window.location.hash = "#/train";
  };
  const compare = async () => {
    for (const row of rows.filter((r) => checked.has(r.id) && r.server)) {
      const detail = await getRun(row.id);
      attachServerRun(row.id, row.name, {
        spec: detail.spec,
        config: detail.config,
        dataset: {
          kind: "server",
          id: detail.dataset,
          shape: detail.spec.input.shape as [number, number, number],
          classes: detail.spec.classes,
        },
      });
    }
    window.location.hash = "#/compare";
  };

  return (
    <div className="page">
      <section className="panel wide">
        <div className="toolbar">
          <h2>Runs</h2>
          <input
            type="search"
            placeholder="Filter by name, status, dataset, tag…"
            aria-label="Filter runs"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          <button type="button" disabled={checked.size < 2} onClick={compare}>
            Compare selected
          </button>
          {serverUp && (
            <button type="button" onClick={refresh}>
              Refresh
            </button>
          )}
        </div>
        {!serverUp && (
          <p className="muted">
            No server answers here: only this page's runs are listed. Start `layerlab serve` for the shared registry.
          </p>
        )}
        {error && <p className="problem error">{error}</p>}
        <div className="table-scroll">
          <table className="runs" data-testid="runs-table">
            <thead>
              <tr>
                <th scope="col">
                  <span className="sr-only">select</span>
                </th>
                {header("name", "Name")}
                {header("status", "Status")}
                {header("testAccuracy", "Accuracy")}
                {header("dataset", "Dataset")}
                <th scope="col">Model</th>
                <th scope="col">Time</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`select ${r.name}`}
                      checked={checked.has(r.id)}
                      onChange={(e) =>
                        setChecked((c) => {
                          const n = new Set(c);
                          if (e.target.checked) n.add(r.id);
                          else n.delete(r.id);
                          return n;
                        })
                      }
                    />
                  </td>
                  <td>
                    {r.name}
                    {r.tags.map((t) => (
                      <span key={t} className="tag">
                        {t}
                      </span>
                    ))}
                  </td>
                  <td>
                    <span className={`status ${r.status}`}>{r.status}</span>
                  </td>
                  <td>{r.accuracy !== null ? `${(r.accuracy * 100).toFixed(2)}%` : "–"}</td>
                  <td>{r.dataset}</td>
                  <td>{r.model}</td>
                  <td>{r.seconds !== null ? `${r.seconds.toFixed(1)} s` : "–"}</td>
                  <td className="actions">
                    <button type="button" onClick={() => open(r)}>
                      Open
                    </button>
                    {r.server && (
                      <>
                        <button
                          type="button"
                          onClick={() => {
                            const name = prompt("New name", r.name);
                            if (name) act(updateRun(r.id, { name }));
                          }}
                        >
                          Rename
                        </button>
                        <button
                          type="button"
                          onClick={() => {
                            const tag = prompt("Add a tag");
                            if (tag) act(updateRun(r.id, { tags: [...r.tags, tag] }));
                          }}
                        >
                          Tag
                        </button>
                        <button
                          type="button"
                          className="danger"
                          onClick={() => confirm(`Delete run ${r.name} and its files?`) && act(deleteRun(r.id))}
                        >
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
              {rows.length === 0 && (
                <tr>
                  <td colSpan={8} className="muted">
                    No runs yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
