import type { LearningRateRangeName } from "@layerlab/spec";
import { useEffect, useState } from "react";
import { listRunPage, type RunListQuery, type RunPage, type RunSummary } from "../../api/client";

/** How many runs one page of the table shows. */
export const RUNS_PER_PAGE = 25;

/** The Runs page's filters as its controls hold them: "" means "any". */
export interface RunFilterValues {
  q: string;
  status: "" | RunSummary["status"];
  dataset: string;
  optimizer: string;
  batchSize: string;
  epochs: string;
  dropout: "" | "yes" | "no";
  learningRate: "" | LearningRateRangeName;
  executor: "" | RunSummary["executor"];
  tag: string;
}

/** No filter at all. */
export const NO_FILTERS: RunFilterValues = {
  q: "",
  status: "",
  dataset: "",
  optimizer: "",
  batchSize: "",
  epochs: "",
  dropout: "",
  learningRate: "",
  executor: "",
  tag: "",
};

/** A column the server sorts by. */
export type RunSortKey = NonNullable<RunListQuery["sort"]>;

/** Whether any filter is set. */
export function hasFilters(f: RunFilterValues): boolean {
  return Object.values(f).some((v) => v.trim() !== "");
}

/** A whole number typed in a field, or undefined while the field is empty or holds no whole number. */
function wholeNumber(text: string): number | undefined {
  const n = Number(text.trim());
  return text.trim() !== "" && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The server query for these filters, this sort and this page (0-based). */
export function runListQuery(f: RunFilterValues, sort: { key: RunSortKey; desc: boolean }, page: number): RunListQuery {
  const text = (s: string) => (s.trim() === "" ? undefined : s.trim());
  return {
    q: text(f.q),
    status: f.status || undefined,
    dataset: f.dataset || undefined,
    optimizer: f.optimizer || undefined,
    batchSize: wholeNumber(f.batchSize),
    epochs: wholeNumber(f.epochs),
    dropout: f.dropout === "" ? undefined : f.dropout === "yes",
    learningRate: f.learningRate || undefined,
    executor: f.executor || undefined,
    tag: text(f.tag),
    sort: sort.key,
    order: sort.desc ? "desc" : "asc",
    limit: RUNS_PER_PAGE,
    offset: page * RUNS_PER_PAGE,
  };
}

/** `value`, once it has stopped changing for `ms` (typing in a filter asks the server once, not per key). */
export function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * The page of runs the server answers for `query` (null until it has), with
 * the error of the last request; `reload` asks again. An answer that arrives
 * after a newer request was sent is dropped, so fast typing never shows a
 * stale page.
 */
export function useRunPage(query: RunListQuery | null): {
  page: RunPage | null;
  error: string | null;
  reload: () => void;
} {
  const [page, setPage] = useState<RunPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const key = query === null ? null : JSON.stringify(query);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `query`; `generation` forces a reload.
  useEffect(() => {
    if (query === null) return;
    let current = true;
    listRunPage(query).then(
      (answer) => {
        if (!current) return;
        setPage(answer);
        setError(null);
      },
      (e: unknown) => current && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      current = false;
    };
  }, [key, generation]);
  return { page, error, reload: () => setGeneration((g) => g + 1) };
}
