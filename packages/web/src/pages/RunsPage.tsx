import { formatLearningRate, learningRateRangeOf, splitTags } from "@layerlab/spec";
import { Fragment, useEffect, useMemo, useState } from "react";
import { deleteRun, getRun, listDatasets, type RunSummary, resumeServerRun, updateRun } from "../api/client";
import { compareHash } from "../compare/compareAddress";
import { deleteStoredRun } from "../registry/localRunStore";
import { isLocalRunId, openRun, studioOfServerRun } from "../registry/openRun";
import { useStoredRuns } from "../registry/useStoredRuns";
import type { StudioApi } from "../state/useStudio";
import { SweepsSection } from "../sweeps/SweepsSection";
import { settleOrphanedRuns } from "../train/orphanedRuns";
import { resumeBrowserRun } from "../train/resumeBrowserRun";
import { attachServerRun, forgetServerRun } from "../train/serverRuns";
import { trainer } from "../train/trainer";
import { useServerCheck, useTrainer } from "../train/useTrainer";
import { ImportModel } from "./ImportModel";
import { Pager } from "./runs/Pager";
import { RunFilters } from "./runs/RunFilters";
import {
  hasFilters,
  NO_FILTERS,
  RUNS_PER_PAGE,
  type RunFilterValues,
  type RunSortKey,
  runListQuery,
  useRunPage,
  useSettled,
} from "./runs/useRunPage";
import { WorkersStrip } from "./runs/WorkersStrip";

/** A row of the table: a registry run or a run of this page, in one shape. */
interface Row {
  id: string;
  name: string;
  status: string;
  accuracy: number | null;
  dataset: string;
  model: string;
  learningRate: number | null;
  optimizer: string;
  epochs: number | null;
  executor: string;
  /** The `layerlab worker` that trains or trained a server run; null when the server itself did. */
  worker: string | null;
  /** 1-based place in the server's queue, 0 while training; null otherwise. */
  queuePosition: number | null;
  seconds: number | null;
  createdAt: number;
  tags: string[];
  server: RunSummary | null;
}

/** Statuses a run resumes from (from its last checkpoint, on the server or in this tab). */
const RESUMABLE = ["interrupted", "aborted", "failed"];

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });

/** An optimizer's name from a config as typed: "adam" or {name: "adam", …}. */
function optimizerName(optimizer: unknown): string {
  if (typeof optimizer === "string") return optimizer;
  const name = (optimizer as { name?: unknown } | undefined)?.name;
  return typeof name === "string" ? name : "";
}

/** A registry run as a table row. */
function serverRow(r: RunSummary): Row {
  const hidden = r.hiddenUnits ? ` ${r.hiddenUnits.split(",").join("-")}` : "";
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    accuracy: r.metrics.testAccuracy,
    dataset: r.dataset,
    model: `${r.modelKind}${hidden}${r.dropout > 0 ? `, dropout ${r.dropout}` : ""}`,
    learningRate: r.learningRate,
    optimizer: r.optimizer,
    epochs: r.epochs,
    executor: r.executor,
    worker: r.worker,
    queuePosition: r.queuePosition,
    seconds: r.trainSeconds ?? (r.finishedAt && r.startedAt ? (r.finishedAt - r.startedAt) / 1000 : null),
    createdAt: r.createdAt,
    tags: r.tags,
    server: r,
  };
}

/** The registry as a filterable, sortable, paged table with open, rename, tag, delete and compare. */
export function RunsPage(_props: { api: StudioApi }) {
  const server = useServerCheck();
  const serverUp = server === "up";
  // Only once no server answered are this browser's runs the whole registry (not while still asking).
  const serverDown = server === "down";
  const local = useTrainer();
  const [filters, setFilters] = useState<RunFilterValues>(NO_FILTERS);
  const [sort, setSort] = useState<{ key: RunSortKey; desc: boolean }>({ key: "createdAt", desc: true });
  const [pageIndex, setPageIndex] = useState(0);
  const [checked, setChecked] = useState<Map<string, Row>>(new Map());
  const [actionError, setActionError] = useState<string | null>(null);
  const [datasets, setDatasets] = useState<string[]>([]);
  // Bumped after a change to this browser's store (a delete), so its list is read again.
  const [storeVersion, setStoreVersion] = useState(0);
  const settledFilters = useSettled(filters, 250);
  const query = serverUp ? runListQuery(settledFilters, sort, pageIndex) : null;
  const { page, error: listError, reload } = useRunPage(query);
  const error = actionError ?? listError;

  // Browser runs whose page closed mid-run are recorded as interrupted first, so they list with Resume.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per visit; reload reads the list again.
  useEffect(() => {
    void settleOrphanedRuns().then(() => {
      reload();
      setStoreVersion((v) => v + 1);
    });
  }, []);
  useEffect(() => {
    if (serverUp)
      listDatasets().then(
        (all) => setDatasets(all.map((d) => d.id)),
        () => setDatasets([]),
      );
  }, [serverUp]);
  // A page past the end (after deletes, or a narrower filter) steps back to the last page.
  useEffect(() => {
    if (page && pageIndex > 0 && page.total <= pageIndex * RUNS_PER_PAGE) {
      setPageIndex(Math.max(0, Math.ceil(page.total / RUNS_PER_PAGE) - 1));
    }
  }, [page, pageIndex]);

  const changeFilters = (next: RunFilterValues) => {
    setFilters(next);
    setPageIndex(0);
  };
  const rows: Row[] = useMemo(() => (page?.runs ?? []).map(serverRow), [page]);
  // Runs trained in this tab and never registered: listed apart, since the registry does not hold them.
  const pageRuns: Row[] = useMemo(() => {
    const q = filters.q.trim().toLowerCase();
    return local.runs
      .filter((r) => r.where === "browser" && !r.registered)
      .map((r) => ({
        id: r.id,
        name: r.name,
        status: r.series.end ? (r.series.end.type === "done" ? "succeeded" : r.series.end.type) : "running",
        accuracy: r.results?.accuracy ?? null,
        dataset: r.studio.dataset.kind === "shapes" ? "shapes" : r.studio.dataset.id,
        model: `${(r.studio.spec.layers ?? []).length} layers`,
        learningRate: r.studio.config.learningRate ?? null,
        optimizer: optimizerName(r.studio.config.optimizer),
        epochs: r.studio.config.epochs ?? null,
        executor: "this tab",
        worker: null,
        queuePosition: null,
        seconds: r.series.end?.type === "done" ? r.series.end.seconds : null,
        createdAt: r.series.startedAt ?? 0,
        tags: [],
        server: null,
      }))
      .filter((r) => !q || [r.name, r.status, r.dataset].some((s) => s.toLowerCase().includes(q)));
  }, [local.runs, filters.q]);

  const act = (p: Promise<unknown>) =>
    p.then(
      () => {
        setActionError(null);
        reload();
        setStoreVersion((v) => v + 1);
      },
      (e) => setActionError(String(e.message ?? e)),
    );
  // Without a server, the browser runs this browser keeps are the registry.
  const stored = useStoredRuns(
    !serverUp,
    `${storeVersion}:${local.runs.map((r) => r.series.end?.type ?? "").join()}`,
    local.runs.filter((r) => trainer.isTraining(r.id)).map((r) => r.id),
  );
  const storedRows: Row[] = useMemo(() => stored.map((r) => ({ ...serverRow(r), server: null })), [stored]);
  // A browser run resumes in this tab; a server run on the server. Either way its page follows it.
  const resume = (row: Row) =>
    act(
      (row.executor === "browser" ? resumeBrowserRun(row.id) : resumeServerRun(row.id)).then(
        () => (window.location.hash = `#/run/${encodeURIComponent(row.id)}`),
      ),
    );
  // A registered run opens on its own page (its results or dashboard, its model and config); a tab's run on the train page.
  const open = (row: Row) => {
    window.location.hash = row.server || isLocalRunId(row.id) ? `#/run/${encodeURIComponent(row.id)}` : "#/train";
  };
  const compare = () => act(compareChecked());
  const compareChecked = async () => {
    // A run this browser keeps joins the page's runs (its events and results) as a registry run does.
    for (const row of [...checked.values()].filter((r) => !r.server && isLocalRunId(r.id))) await openRun(row.id);
    for (const row of [...checked.values()].filter((r) => r.server)) {
      attachServerRun(row.id, row.name, studioOfServerRun(await getRun(row.id)));
    }
    window.location.hash = compareHash([...checked.keys()]);
  };
  const toggle = (row: Row, on: boolean) =>
    setChecked((c) => {
      const n = new Map(c);
      if (on) n.set(row.id, row);
      else n.delete(row.id);
      return n;
    });
  const editTags = (row: Row) => {
    const typed = prompt("Tags, separated by commas", row.tags.join(", "));
    if (typed !== null) act(updateRun(row.id, { tags: splitTags([typed]) }));
  };

  const header = (key: RunSortKey, label: string) => (
    <th scope="col" aria-sort={sort.key === key ? (sort.desc ? "descending" : "ascending") : "none"}>
      <button
        type="button"
        className="ghost"
        onClick={() => {
          setSort((s) => ({ key, desc: s.key === key ? !s.desc : key !== "name" }));
          setPageIndex(0);
        }}
      >
        {label} {sort.key === key ? (sort.desc ? "▼" : "▲") : ""}
      </button>
    </th>
  );
  const table = (list: Row[], testId: string, empty: string) => (
    <div className="table-scroll">
      <table className="runs" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col" className="static">
              <span className="sr-only">select</span>
            </th>
            {header("name", "Name")}
            {header("status", "Status")}
            {header("testAccuracy", "Accuracy")}
            {header("dataset", "Dataset")}
            <th scope="col" className="static">
              Model
            </th>
            {header("learningRate", "LR")}
            {header("optimizer", "Optimizer")}
            {header("epochs", "Epochs")}
            {header("executor", "Trained by")}
            {header("createdAt", "Created")}
            <th scope="col" className="static">
              Time
            </th>
            <th scope="col" className="static">
              Actions
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((r) => (
            <RunRow
              key={r.id}
              row={r}
              checked={checked.has(r.id)}
              onCheck={(on) => toggle(r, on)}
              onOpen={() => open(r)}
              onResume={() => resume(r)}
              onRename={() => {
                const name = prompt("New name", r.name);
                if (name) act(updateRun(r.id, { name }));
              }}
              onTags={() => editTags(r)}
              onDelete={() =>
                confirm(`Delete run ${r.name} and its files?`) &&
                act(
                  (isLocalRunId(r.id) ? deleteStoredRun(r.id) : deleteRun(r.id).then(() => forgetServerRun(r.id))).then(
                    () => toggle(r, false),
                  ),
                )
              }
            />
          ))}
          {list.length === 0 && (
            <tr>
              <td colSpan={13} className="muted">
                {empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );

  const pager = page && page.total > 0 && (
    <Pager page={pageIndex} perPage={RUNS_PER_PAGE} total={page.total} onPage={setPageIndex} />
  );
  return (
    <div className="page">
      <section className="panel wide">
        <div className="toolbar">
          <h2>Runs</h2>
          <span className="spacer" />
          <button type="button" disabled={checked.size < 2} onClick={compare}>
            Compare selected{checked.size > 0 ? ` (${checked.size})` : ""}
          </button>
          {serverUp && (
            <button type="button" onClick={reload}>
              Refresh
            </button>
          )}
        </div>
        {serverUp && <WorkersStrip />}
        {serverUp && <RunFilters value={filters} datasets={datasets} onChange={changeFilters} />}
        {server === "checking" && <p className="muted">Looking for the server…</p>}
        {serverDown && (
          <p className="muted">
            No server answers here: the runs listed are kept in this browser only (another browser or profile does not
            see them). Start `layerlab serve` for the shared registry.
          </p>
        )}
        {error && <p className="problem error">{error}</p>}
        {serverUp && (
          <>
            {pager}
            {table(rows, "runs-table", hasFilters(filters) ? "No runs match these filters." : "No runs yet.")}
            {pager}
          </>
        )}
        {(pageRuns.length > 0 || serverDown) && (
          <>
            {serverUp && <h3>Trained in this tab, not in the registry</h3>}
            {table(
              serverUp ? pageRuns : [...storedRows, ...pageRuns],
              serverUp ? "tab-runs-table" : "runs-table",
              "No runs yet.",
            )}
          </>
        )}
      </section>
      <SweepsSection
        serverUp={serverUp}
        onDeleted={() => {
          reload();
          setStoreVersion((v) => v + 1);
        }}
      />
      {serverUp && <ImportModel />}
    </div>
  );
}

/** One run's row with its actions. */
function RunRow({
  row: r,
  checked,
  onCheck,
  onOpen,
  onResume,
  onRename,
  onTags,
  onDelete,
}: {
  row: Row;
  checked: boolean;
  onCheck: (on: boolean) => void;
  onOpen: () => void;
  onResume: () => void;
  onRename: () => void;
  onTags: () => void;
  onDelete: () => void;
}) {
  const range = r.learningRate === null ? undefined : learningRateRangeOf(r.learningRate);
  return (
    <tr>
      <td className="select">
        {/* The label around the box is the finger-sized target on a touch screen. */}
        <label className="select-target">
          <input
            type="checkbox"
            aria-label={`select ${r.name}`}
            checked={checked}
            onChange={(e) => onCheck(e.target.checked)}
          />
        </label>
      </td>
      <td className="run-name">
        {/* Lines break between the " · " parts, never inside "adam 1e-3". The first part, the architecture, may be
            longer than a line ("CNN conv16-conv16-…-conv64 (9 add)"): it wraps as text does, at its spaces and after
            a hyphen before a letter, never inside a number such as "784-128". */}
        {r.name.split(" · ").map((part, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a name's parts may repeat; their order is their identity.
          <Fragment key={i}>
            {i > 0 && " · "}
            <span className={i === 0 ? "name-head" : "name-part"}>{part}</span>
          </Fragment>
        ))}
        {r.tags.map((t) => (
          <span key={t} className="tag">
            {t}
          </span>
        ))}
      </td>
      <td data-label="Status">
        <span className={`status ${r.status}`}>{r.status}</span>
        {r.status === "queued" && r.queuePosition !== null && r.queuePosition > 0 && (
          <span className="muted queue-place"> #{r.queuePosition} in queue</span>
        )}
        {/* Beside the status it answers, so the actions column keeps its width. */}
        {(r.executor === "server" || r.executor === "browser") && RESUMABLE.includes(r.status) && (
          <button type="button" className="primary resume" onClick={onResume}>
            Resume
          </button>
        )}
      </td>
      <td data-label="Accuracy" className="num">
        {r.accuracy !== null ? `${(r.accuracy * 100).toFixed(2)}%` : "–"}
      </td>
      <td data-label="Dataset">{r.dataset}</td>
      <td data-label="Model" className="nowrap">
        {r.model}
      </td>
      <td data-label="LR" className="num" title={range?.label}>
        {r.learningRate !== null ? formatLearningRate(r.learningRate) : "–"}
      </td>
      <td data-label="Optimizer">{r.optimizer || "–"}</td>
      <td data-label="Epochs" className="num">
        {r.epochs ?? "–"}
      </td>
      <td data-label="Trained by">{r.worker ? `${r.executor} · worker ${r.worker}` : r.executor}</td>
      <td data-label="Created" className="nowrap">
        {r.createdAt ? DATE.format(r.createdAt) : "–"}
      </td>
      <td data-label="Time" className="num">
        {r.seconds !== null ? `${r.seconds.toFixed(1)} s` : "–"}
      </td>
      <td>
        <div className="actions">
          <button type="button" onClick={onOpen}>
            Open
          </button>
          {isLocalRunId(r.id) && !r.server && (
            <button type="button" className="danger" onClick={onDelete}>
              Delete
            </button>
          )}
          {r.server && (
            <>
              <button type="button" onClick={onRename}>
                Rename
              </button>
              <button type="button" onClick={onTags}>
                Tag
              </button>
              <button type="button" className="danger" onClick={onDelete}>
                Delete
              </button>
            </>
          )}
        </div>
      </td>
    </tr>
  );
}
