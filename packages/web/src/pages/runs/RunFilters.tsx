import { LEARNING_RATE_RANGES, OPTIMIZER_NAMES } from "@layerlab/spec";
import type { ReactNode } from "react";
import { NO_FILTERS, type RunFilterValues } from "./useRunPage";

const STATUSES = ["queued", "running", "succeeded", "failed", "aborted", "diverged", "interrupted"] as const;

/** One labelled control of the filter bar. */
function Field({ id, label, children }: { id: string; label: string; children: ReactNode }) {
  return (
    <div className="run-filter">
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}

/** The Runs page's structured filters; every change goes to the server. */
export function RunFilters({
  value,
  datasets,
  onChange,
}: {
  value: RunFilterValues;
  datasets: string[];
  onChange: (next: RunFilterValues) => void;
}) {
  const set = (patch: Partial<RunFilterValues>) => onChange({ ...value, ...patch });
  return (
    <fieldset className="run-filters">
      <legend>Filters</legend>
      <Field id="rf-q" label="Filter runs">
        <input
          id="rf-q"
          type="search"
          placeholder="name, notes, tag…"
          aria-label="Filter runs"
          value={value.q}
          onChange={(e) => set({ q: e.target.value })}
        />
      </Field>
      <Field id="rf-lr" label="Learning rate">
        <select
          id="rf-lr"
          value={value.learningRate}
          onChange={(e) => set({ learningRate: e.target.value as RunFilterValues["learningRate"] })}
        >
          <option value="">any</option>
          {LEARNING_RATE_RANGES.map((r) => (
            <option key={r.name} value={r.name}>
              {r.label}
            </option>
          ))}
        </select>
      </Field>
      <Field id="rf-optimizer" label="Optimizer">
        <select id="rf-optimizer" value={value.optimizer} onChange={(e) => set({ optimizer: e.target.value })}>
          <option value="">any</option>
          {OPTIMIZER_NAMES.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      </Field>
      <Field id="rf-batch" label="Batch size">
        <input
          id="rf-batch"
          type="number"
          min={1}
          placeholder="any"
          value={value.batchSize}
          onChange={(e) => set({ batchSize: e.target.value })}
        />
      </Field>
      <Field id="rf-epochs" label="Epochs">
        <input
          id="rf-epochs"
          type="number"
          min={1}
          placeholder="any"
          value={value.epochs}
          onChange={(e) => set({ epochs: e.target.value })}
        />
      </Field>
      <Field id="rf-dropout" label="Dropout">
        <select
          id="rf-dropout"
          value={value.dropout}
          onChange={(e) => set({ dropout: e.target.value as RunFilterValues["dropout"] })}
        >
          <option value="">any</option>
          <option value="yes">yes</option>
          <option value="no">no</option>
        </select>
      </Field>
      <Field id="rf-executor" label="Trained by">
        <select
          id="rf-executor"
          value={value.executor}
          onChange={(e) => set({ executor: e.target.value as RunFilterValues["executor"] })}
        >
          <option value="">any</option>
          <option value="server">server</option>
          <option value="browser">browser</option>
        </select>
      </Field>
      <Field id="rf-status" label="Status">
        <select
          id="rf-status"
          value={value.status}
          onChange={(e) => set({ status: e.target.value as RunFilterValues["status"] })}
        >
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </Field>
      <Field id="rf-dataset" label="Dataset">
        <select id="rf-dataset" value={value.dataset} onChange={(e) => set({ dataset: e.target.value })}>
          <option value="">any</option>
          {datasets.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
      </Field>
      <Field id="rf-tag" label="Tag">
        <input
          id="rf-tag"
          type="text"
          placeholder="any"
          value={value.tag}
          onChange={(e) => set({ tag: e.target.value })}
        />
      </Field>
      <div className="run-filter run-filter-clear">
        <button type="button" onClick={() => onChange(NO_FILTERS)}>
          Clear filters
        </button>
      </div>
    </fieldset>
  );
}
