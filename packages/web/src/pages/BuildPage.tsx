import {
  analyzeSpec,
  formatCount,
  LAYER_KINDS,
  LAYER_RULES,
  type LayerInput,
  TEMPLATE_IDS,
  TEMPLATES,
  type TemplateId,
} from "@layerlab/spec";
import { useMemo, useRef, useState } from "react";
import { ConnectProvider, ModelInputRow } from "../builder/ConnectHandle";
import { CostPanel } from "../builder/CostPanel";
import { DRAG_KIND, LayerRow, ProblemLine } from "../builder/LayerRow";
import { TemplateSettingsNote } from "../builder/TemplateSettingsNote";
import { datasetFacts, datasetLabel } from "../data/datasets";
import { Diagram } from "../diagram/Diagram";
import { shareLink } from "../state/share";
import { outputLayerIndex, type Studio } from "../state/studio";
import type { StudioApi } from "../state/useStudio";

function downloadText(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** "output units follow the dataset: 10 classes (mnist)" while the output layer matches the data; null otherwise. */
function outputNote(studio: Studio): string | null {
  const at = outputLayerIndex(studio.spec);
  const classes = datasetFacts(studio.dataset).classes.length;
  const output = at === null ? null : (studio.spec.layers as LayerInput[])[at];
  if (!output || (output as { units?: unknown }).units !== classes) return null;
  const name = studio.dataset.kind === "shapes" ? "shapes" : studio.dataset.id;
  return `Output units follow the dataset: ${classes} classes (${name}).`;
}

/** The builder: palette, templates, the layer stack with inline editors and fixes, totals and the diagram. */
export function BuildPage({ api }: { api: StudioApi }) {
  const { studio, history } = api;
  const analysis = useMemo(() => analyzeSpec(studio.spec), [studio.spec]);
  const [hover, setHover] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);
  // The template picked last on this visit of the page, whose note says what was kept.
  const [loadedTemplate, setLoadedTemplate] = useState<TemplateId | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const layers: LayerInput[] = Array.isArray(studio.spec.layers) ? studio.spec.layers : [];
  const modelProblems = analysis.problems.filter((p) => p.layer === null);
  const inputShape = Array.isArray(studio.spec.input?.shape) ? studio.spec.input.shape : null;
  const outputFollows = outputNote(studio);

  const importFile = async (file: File) => {
    try {
      const spec = JSON.parse(await file.text());
      if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new Error("it is not a JSON object");
      api.run("importSpec", { spec });
      setNote(`Imported ${file.name}.`);
    } catch (err) {
      setNote(
        `Could not import ${file.name}: ${err instanceof Error ? err.message : String(err)} — choose a spec JSON exported from LayerLab.`,
      );
    }
  };

  const copyShare = async () => {
    const link = shareLink(window.location.href, studio);
    try {
      await navigator.clipboard.writeText(link);
      setNote("Share link copied: it reopens this model, config and dataset.");
    } catch {
      setNote(`Share link: ${link}`);
    }
  };

  return (
    <div className="page build">
      <section className="panel palette" aria-labelledby="palette-h">
        <h2 id="palette-h">Layers</h2>
        <p className="muted">Click a chip to append it, or drag it into the stack.</p>
        <div className="chips">
          {LAYER_KINDS.map((kind) => (
            <button
              type="button"
              key={kind}
              className="chip"
              draggable
              title={LAYER_RULES[kind].summary}
              onDragStart={(e) => e.dataTransfer.setData(DRAG_KIND, kind)}
              onClick={() => api.run("addLayer", { kind })}
              data-testid={`chip-${kind}`}
            >
              + {kind}
            </button>
          ))}
        </div>
        <h2>Templates</h2>
        <div className="templates">
          {TEMPLATE_IDS.map((id) => (
            <button
              type="button"
              key={id}
              className="template"
              title={TEMPLATES[id].description}
              onClick={() => {
                api.run("loadTemplate", { id });
                setLoadedTemplate(id);
              }}
              data-testid={`template-${id}`}
            >
              {TEMPLATES[id].name}
            </button>
          ))}
        </div>
        {loadedTemplate && <TemplateSettingsNote api={api} id={loadedTemplate} />}
      </section>

      <section className="panel stack" aria-labelledby="stack-h">
        <div className="toolbar">
          <h2 id="stack-h">Model</h2>
          <span className="muted">
            on {datasetLabel(studio.dataset)} · input {inputShape ? `[${inputShape.join(",")}]` : "?"}
          </span>
          <span className="spacer" />
          <button
            type="button"
            onClick={api.undo}
            disabled={history.past.length === 0}
            title={history.labels.at(-1) ? `Undo ${history.labels.at(-1)} (Ctrl+Z)` : "Undo (Ctrl+Z)"}
          >
            Undo
          </button>
          <button type="button" onClick={api.redo} disabled={history.future.length === 0} title="Redo (Ctrl+Shift+Z)">
            Redo
          </button>
        </div>
        {outputFollows && (
          <p className="muted" data-testid="output-follows">
            {outputFollows}
          </p>
        )}
        <ConnectProvider layers={layers} api={api}>
          <ModelInputRow shape={inputShape} api={api} />
          <ol
            className="layers"
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              const kind = e.dataTransfer.getData(DRAG_KIND);
              if (kind) api.run("addLayer", { kind: kind as never });
            }}
          >
            {layers.map((layer, i) => (
              <LayerRow
                // biome-ignore lint/suspicious/noArrayIndexKey: a layer's identity is its position in the spec.
                key={i}
                index={i}
                count={layers.length}
                layer={layer}
                info={analysis.layers.find((l) => l.index === i)}
                problems={analysis.problems.filter((p) => p.layer === i)}
                api={api}
                onHover={setHover}
              />
            ))}
            {layers.length === 0 && <li className="empty">No layers yet: pick a template or click a chip.</li>}
          </ol>
        </ConnectProvider>
        {modelProblems.map((p) => (
          <ProblemLine key={p.message} problem={p} api={api} />
        ))}
        <div className="totals" data-testid="totals">
          <span>
            Output <strong>{analysis.outShape ? `[${analysis.outShape.join(",")}]` : "?"}</strong>
          </span>
          <span>
            <strong data-testid="total-params">{formatCount(analysis.totals.params)}</strong> parameters
          </span>
          <span>
            <strong>{formatCount(analysis.totals.flops)}</strong> FLOPs / sample
          </span>
          <span className={analysis.ok ? "ok" : "bad"} data-testid="spec-status">
            {analysis.ok
              ? "✔ ready to train"
              : `✖ ${analysis.problems.filter((p) => p.severity === "error").length} error(s)`}
          </span>
        </div>
        <div className="toolbar">
          <button
            type="button"
            onClick={() => downloadText(`${studio.spec.name ?? "model"}.json`, JSON.stringify(studio.spec, null, 2))}
          >
            Export spec JSON
          </button>
          <button type="button" onClick={() => fileInput.current?.click()}>
            Import spec JSON
          </button>
          <input
            ref={fileInput}
            type="file"
            accept="application/json,.json"
            hidden
            onChange={(e) => e.target.files?.[0] && importFile(e.target.files[0])}
          />
          <button type="button" onClick={copyShare} data-testid="share">
            Copy share link
          </button>
          <a className="button primary" href="#/train">
            Next: data & training →
          </a>
        </div>
        {note && (
          <p className="note" role="status">
            {note}
          </p>
        )}
      </section>

      <section className="panel diagram-panel" aria-labelledby="diagram-h">
        <h2 id="diagram-h">Architecture</h2>
        <Diagram analysis={analysis} inputShape={inputShape} highlight={hover} />
      </section>

      <CostPanel analysis={analysis} spec={studio.spec} batchSize={studio.config.batchSize ?? 64} />
    </div>
  );
}
