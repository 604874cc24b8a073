import { useEffect, useId, useState } from "react";
import { listDatasets } from "../api/client";
import { importModelFiles } from "../api/importRun";

/**
 * "Import a model": uploads an export bundle's files — spec.json with
 * weights.safetensors or model.pt, and normalization.json or model.py — as a
 * finished run of the chosen dataset, then opens that run.
 */
export function ImportModel() {
  const id = useId();
  const [files, setFiles] = useState<File[]>([]);
  const [datasets, setDatasets] = useState<string[]>([]);
  const [dataset, setDataset] = useState("mnist");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    listDatasets().then(
      (all) => setDatasets(all.map((d) => d.id)),
      () => setDatasets([]),
    );
  }, []);

  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const run = await importModelFiles(files, dataset, name);
      window.location.hash = `#/run/${encodeURIComponent(run.id)}`;
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby={`${id}-h`} data-testid="import-model">
      <h2 id={`${id}-h`}>Import a model</h2>
      <p className="muted">
        A model trained elsewhere: spec.json with weights.safetensors or a PyTorch state_dict (model.pt), and
        normalization.json or the model.py exported with it. It becomes a finished run you can draw on, compare and look
        inside.
      </p>
      <div className="toolbar">
        {/* Each label wraps onto a new line together with its control, never apart from it. */}
        <span className="labelled">
          <label htmlFor={`${id}-files`}>Files</label>
          <input
            id={`${id}-files`}
            type="file"
            multiple
            accept=".json,.safetensors,.pt,.pth,.py"
            onChange={(e) => setFiles(Array.from(e.target.files ?? []))}
          />
        </span>
        <span className="labelled">
          <label htmlFor={`${id}-dataset`}>Dataset</label>
          <select id={`${id}-dataset`} value={dataset} onChange={(e) => setDataset(e.target.value)}>
            {(datasets.length ? datasets : [dataset]).map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </span>
        <span className="labelled">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            value={name}
            placeholder="the spec's name"
            onChange={(e) => setName(e.target.value)}
          />
        </span>
        <button type="button" className="primary" disabled={busy || files.length === 0} onClick={submit}>
          {busy ? "Importing…" : "Import"}
        </button>
      </div>
      {files.length > 0 && <p className="muted">{files.map((f) => f.name).join(", ")}</p>}
      {error && (
        <p className="problem error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
