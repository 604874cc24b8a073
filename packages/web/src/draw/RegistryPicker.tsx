import { LEARNING_RATE_RANGES, type LearningRateRangeName, OPTIMIZER_NAMES, type OptimizerName } from "@layerlab/spec";
import { useEffect, useState } from "react";
import { type DatasetSummary, findRuns, listDatasets, listRuns, type RunSummary } from "../api/client";
import { type DatasetChoice, DEFAULT_DATASET } from "../data/datasets";
import type { Studio } from "../state/studio";
import type { StudioApi } from "../state/useStudio";
import { pickerLabels } from "./pickerLabels";
import { defaultQuery, type RegistryQuery, registryParams, studioForQuery } from "./registryLookup";

function choiceFor(id: string, datasets: DatasetSummary[]): DatasetChoice {
  const d = datasets.find((x) => x.id === id);
  if (!d || id === "shapes") return DEFAULT_DATASET;
  return { kind: "server", id: d.id, shape: d.shape, classes: d.classes };
}

/**
 * Finds a server model by name or by seed 001's config filter; offers to train the configuration when none exists.
 * `trainedHere` is the setup of the run trained last in this tab, which the filter starts at.
 */
export function RegistryPicker({
  api,
  trainedHere,
  onPick,
}: {
  api: StudioApi;
  trainedHere: Studio | null;
  onPick: (run: RunSummary) => void;
}) {
  const [runs, setRuns] = useState<RunSummary[]>([]);
  // Until the person edits the filter it follows the likeliest setup, which may arrive with the run list.
  const [edited, setEdited] = useState<RegistryQuery | null>(null);
  const q = edited ?? defaultQuery({ trainedHere, finished: runs, studio: api.studio });
  const [datasets, setDatasets] = useState<DatasetSummary[]>([]);
  const [outcome, setOutcome] = useState<"idle" | "missing" | "found" | string>("idle");
  useEffect(() => {
    listRuns().then(
      (all) => setRuns(all.filter((r) => r.status === "succeeded")),
      () => setRuns([]),
    );
    listDatasets().then(setDatasets, () => setDatasets([]));
  }, []);
  // Two runs with the same name, dataset and accuracy are told apart by their settings.
  const labels = pickerLabels(runs);
  const set = (patch: Partial<RegistryQuery>) => setEdited({ ...q, ...patch });
  const datasetIds = datasets.map((d) => d.id);
  if (!datasetIds.includes(q.dataset)) datasetIds.unshift(q.dataset);
  const find = async () => {
    try {
      const [best] = await findRuns(registryParams(q));
      if (best) {
        onPick(best);
        setOutcome("found");
      } else setOutcome("missing");
    } catch (err) {
      setOutcome(err instanceof Error ? err.message : String(err));
    }
  };
  const train = () => {
    api.run("loadStudio", { studio: studioForQuery(q, choiceFor(q.dataset, datasets)) });
    window.location.hash = "#/build";
  };
  return (
    <fieldset className="registry-picker">
      <legend>Model from the registry</legend>
      <div className="toolbar">
        <label htmlFor="by-name">By name</label>
        <select
          id="by-name"
          value=""
          onChange={(e) => {
            const r = runs.find((x) => x.id === e.target.value);
            if (r) onPick(r);
          }}
        >
          <option value="">choose a finished run…</option>
          {runs.map((r, i) => (
            <option key={r.id} value={r.id}>
              {labels[i]}
            </option>
          ))}
        </select>
      </div>
      <div className="cfg-grid">
        <div className="cfg-field">
          <label htmlFor="q-kind">Type</label>
          <select id="q-kind" value={q.modelKind} onChange={(e) => set({ modelKind: e.target.value as "mlp" | "cnn" })}>
            <option value="mlp">MLP (SimpleNN)</option>
            <option value="cnn">CNN (ConvNN)</option>
          </select>
        </div>
        <div className="cfg-field">
          <label htmlFor="q-opt">Optimizer</label>
          <select id="q-opt" value={q.optimizer} onChange={(e) => set({ optimizer: e.target.value as OptimizerName })}>
            {OPTIMIZER_NAMES.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </div>
        <div className="cfg-field">
          <label htmlFor="q-bs">Batch size</label>
          <input
            id="q-bs"
            type="number"
            min={1}
            value={q.batchSize}
            onChange={(e) => set({ batchSize: Math.max(1, Math.round(Number(e.target.value))) })}
          />
        </div>
        <div className="cfg-field">
          <label htmlFor="q-hidden">Hidden layers</label>
          <input
            id="q-hidden"
            type="text"
            inputMode="numeric"
            value={q.hidden.join(",")}
            onChange={(e) =>
              set({
                hidden: e.target.value
                  .split(",")
                  .map((v) => Math.round(Number(v)))
                  .filter((n) => n > 0),
              })
            }
          />
        </div>
        <div className="cfg-field">
          <label htmlFor="q-ep">Epochs</label>
          <input
            id="q-ep"
            type="number"
            min={1}
            value={q.epochs}
            onChange={(e) => set({ epochs: Math.max(1, Math.round(Number(e.target.value))) })}
          />
        </div>
        <div className="cfg-field">
          <label htmlFor="q-lr">Learning rate</label>
          <select
            id="q-lr"
            value={q.learningRate}
            onChange={(e) => set({ learningRate: e.target.value as LearningRateRangeName })}
          >
            {LEARNING_RATE_RANGES.map((range) => (
              <option key={range.name} value={range.name}>
                {range.label}
              </option>
            ))}
          </select>
        </div>
        <div className="cfg-field">
          <label htmlFor="q-ds">Dataset</label>
          <select id="q-ds" value={q.dataset} onChange={(e) => set({ dataset: e.target.value })}>
            {datasetIds.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </div>
        <label className="radio">
          <input type="checkbox" checked={q.dropout} onChange={(e) => set({ dropout: e.target.checked })} /> Dropout
        </label>
      </div>
      <div className="toolbar">
        <button type="button" onClick={find}>
          Find model
        </button>
        {outcome === "missing" && (
          <>
            <span className="problem warning">Not trained yet.</span>
            <button type="button" className="primary" onClick={train}>
              Train this configuration
            </button>
          </>
        )}
        {outcome !== "idle" && outcome !== "missing" && outcome !== "found" && (
          <span className="problem error">{outcome}</span>
        )}
      </div>
    </fieldset>
  );
}
