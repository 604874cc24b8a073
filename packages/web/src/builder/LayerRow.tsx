import { formatCount, formatShape, type LayerInfo, type LayerInput, type Problem } from "@layerlab/spec";
import { HelpLink } from "../guide/HelpLink";
import { layerFieldTerm, layerKindTerm } from "../guide/helpTerms";
import type { StudioApi } from "../state/useStudio";
import { connectTargetClass, OutputHandle, useConnect } from "./ConnectHandle";
import { ConnectMenu } from "./ConnectMenu";
import { LayerInputs } from "./LayerInputs";
import { LAYER_FIELDS, type LayerField, parseFieldInput } from "./layerFields";
import { CONNECT_TARGET_ATTR } from "./useConnectDrag";

/** Drag-and-drop payloads of the builder: a palette chip or a row being moved. */
export const DRAG_KIND = "application/x-layerlab-kind";
export const DRAG_ROW = "application/x-layerlab-row";

function FieldEditor(props: {
  field: LayerField;
  kind: string;
  value: unknown;
  index: number;
  api: StudioApi;
  invalid: boolean;
}) {
  const { field, value, index, api } = props;
  const id = `layer-${index}-${field.name}`;
  const set = (v: unknown) => api.run("setParam", { layer: index, field: field.name, value: v });
  let input: React.ReactNode;
  if (field.type === "boolean") {
    const checked = value === undefined ? Boolean(field.defaultValue) : Boolean(value);
    input = <input id={id} type="checkbox" checked={checked} onChange={(e) => set(e.target.checked)} />;
  } else if (field.type === "enum" || field.type === "activation") {
    const current =
      typeof value === "object" && value !== null ? (value as { fn: string }).fn : (value as string | undefined);
    input = (
      <select
        id={id}
        value={current ?? (field.type === "activation" ? "" : String(field.defaultValue ?? ""))}
        onChange={(e) => set(parseFieldInput(field, e.target.value))}
      >
        {field.type === "activation" && <option value="">none</option>}
        {field.options!.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        id={id}
        type="number"
        inputMode={field.type === "integer" ? "numeric" : "decimal"}
        step={field.type === "integer" ? 1 : "any"}
        min={field.min}
        aria-invalid={props.invalid || undefined}
        placeholder={field.defaultValue === undefined ? "" : String(field.defaultValue)}
        value={typeof value === "number" ? value : ""}
        onChange={(e) => {
          const v = parseFieldInput(field, e.target.value);
          if (v !== undefined) set(v);
        }}
      />
    );
  }
  return (
    // The glossary link sits outside the label, so the input's name stays the parameter's name.
    <span className="field">
      <label htmlFor={id}>
        <span>{field.name}</span>
      </label>
      <HelpLink term={layerFieldTerm(props.kind, field.name)} />
      {input}
    </span>
  );
}

/** One layer of the stack: its editors, shape, counts and problems with their one-click fixes. */
export function LayerRow(props: {
  index: number;
  count: number;
  layer: LayerInput;
  info: LayerInfo | undefined;
  problems: Problem[];
  api: StudioApi;
  onHover: (index: number | null) => void;
}) {
  const { index, layer, info, problems, api } = props;
  const kind = (layer as { kind?: string }).kind ?? "?";
  const fields = LAYER_FIELDS[kind as keyof typeof LAYER_FIELDS] ?? [];
  const hasError = problems.some((p) => p.severity === "error");
  const connect = useConnect();
  return (
    <li
      className={`layer-row${hasError ? " has-error" : problems.length ? " has-warning" : ""}${connectTargetClass(connect, index)}`}
      data-testid={`layer-${index}`}
      {...{ [CONNECT_TARGET_ATTR]: index }}
      draggable
      onDragStart={(e) => {
        // A connection dragged from the output dot is not a move of the row.
        if (connect?.isDragging()) e.preventDefault();
        else e.dataTransfer.setData(DRAG_ROW, String(index));
      }}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        e.stopPropagation();
        const from = e.dataTransfer.getData(DRAG_ROW);
        const newKind = e.dataTransfer.getData(DRAG_KIND);
        if (from !== "") api.run("moveLayer", { from: Number(from), to: index });
        else if (newKind) api.run("addLayer", { kind: newKind as never, at: index });
      }}
      onMouseEnter={() => props.onHover(index)}
      onMouseLeave={() => props.onHover(null)}
      onFocus={() => props.onHover(index)}
    >
      <div className="layer-head">
        <span className="drag-handle" aria-hidden="true">
          ⋮⋮
        </span>
        <span className="layer-index">{index + 1}</span>
        <strong className="layer-kind">{kind}</strong>
        <HelpLink term={layerKindTerm(kind)} />
        {/* Analysis sizes an invalid layer as if fixed; showing that as its shape would mislead. */}
        <span
          className="layer-shape"
          title={hasError ? "no output shape until the error below is fixed" : "output shape"}
        >
          → {hasError ? "—" : info?.outShape ? formatShape(info.outShape) : "?"}
        </span>
        <span className="layer-counts">
          {info && !hasError ? `${formatCount(info.params)} params · ${formatCount(info.flops)} FLOPs` : ""}
        </span>
        {connect && <ConnectMenu from={index} layers={connect.layers} wiring={connect.wiring} api={api} />}
        <span className="layer-actions">
          <button
            type="button"
            className="icon"
            aria-label={`Move layer ${index + 1} up`}
            disabled={index === 0}
            onClick={() => api.run("moveLayer", { from: index, to: index - 1 })}
          >
            ↑
          </button>
          <button
            type="button"
            className="icon"
            aria-label={`Move layer ${index + 1} down`}
            disabled={index === props.count - 1}
            onClick={() => api.run("moveLayer", { from: index, to: index + 1 })}
          >
            ↓
          </button>
          <button
            type="button"
            className="icon danger"
            aria-label={`Remove layer ${index + 1}`}
            onClick={() => api.run("removeLayer", { at: index })}
          >
            ✕
          </button>
        </span>
      </div>
      {fields.length > 0 && (
        <div className="layer-fields">
          {fields.map((f) => (
            <FieldEditor
              key={f.name}
              field={f}
              kind={kind}
              index={index}
              api={api}
              value={(layer as Record<string, unknown>)[f.name]}
              invalid={problems.some((p) => p.field === f.name && p.severity === "error")}
            />
          ))}
        </div>
      )}
      {connect && <LayerInputs index={index} layers={connect.layers} wiring={connect.wiring} api={api} />}
      {problems.map((p) => (
        <ProblemLine key={p.message} problem={p} api={api} />
      ))}
      {index < props.count - 1 && <OutputHandle from={index} label={`${kind} #${index + 1}`} />}
    </li>
  );
}

/** A problem said in words, with its one-click fix when spec offers one. */
export function ProblemLine({ problem, api }: { problem: Problem; api: StudioApi }) {
  return (
    <div
      className={`problem ${problem.severity}`}
      role={problem.severity === "error" ? "alert" : "status"}
      data-testid="problem"
    >
      <span>
        {problem.severity === "error" ? "✖" : "⚠"} {problem.message}
      </span>
      {problem.autofix && (
        <button
          type="button"
          className="fix"
          onClick={() => api.run("applyFix", { edit: problem.autofix!, fix: problem.fix })}
        >
          Fix: {problem.fix}
        </button>
      )}
    </div>
  );
}
