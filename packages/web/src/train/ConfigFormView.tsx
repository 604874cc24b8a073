import { validateConfig } from "@layerlab/spec";
import { useMemo } from "react";
import { HelpLink } from "../guide/HelpLink";
import { configTerm } from "../guide/helpTerms";
import type { StudioApi } from "../state/useStudio";
import { type ConfigField, configForm, configValue } from "./configFields";
import { EpochListInput } from "./EpochListInput";
import "./config-form.css";

const FORM = configForm();
/** The training settings shown up front; the rest wait behind "More training options". */
const ESSENTIAL_PATHS = new Set(["learningRate", "batchSize", "epochs"]);

/** Whether the user has set a field to something other than its default. */
function isChanged(api: StudioApi, field: ConfigField): boolean {
  const value = configValue(api.studio.config, field.path);
  return value !== undefined && value !== null && value !== field.defaultValue && value !== false;
}
const NO_EPOCHS: readonly number[] = [];

function FieldInput({ field, api }: { field: ConfigField; api: StudioApi }) {
  const value = configValue(api.studio.config, field.path);
  const id = `cfg-${field.path}`;
  const set = (v: unknown) => api.run("setConfigField", { field: field.path, value: v });
  let input: React.ReactNode;
  if (field.type === "boolean") {
    input = (
      <input
        id={id}
        type="checkbox"
        checked={Boolean(value ?? field.defaultValue)}
        onChange={(e) => set(field.onValue ? (e.target.checked ? field.onValue : null) : e.target.checked)}
      />
    );
  } else if (field.type === "epoch-list") {
    input = (
      <EpochListInput
        id={id}
        value={Array.isArray(value) ? value : NO_EPOCHS}
        min={field.min ?? 1}
        onCommit={(epochs) => set(epochs)}
      />
    );
  } else if (field.type === "enum") {
    input = (
      <select id={id} value={String(value ?? field.defaultValue ?? "")} onChange={(e) => set(e.target.value)}>
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
        step={field.type === "integer" ? 1 : "any"}
        min={field.min}
        max={field.maxExclusive ? undefined : field.max}
        value={typeof value === "number" ? value : ""}
        placeholder={field.defaultValue === undefined ? "" : String(field.defaultValue)}
        onChange={(e) => {
          if (e.target.value === "") return;
          const n = Number(e.target.value);
          if (Number.isFinite(n)) set(n);
        }}
      />
    );
  }
  return (
    <div className="cfg-field">
      <span className="label-with-help">
        <label htmlFor={id}>{field.label}</label>
        <HelpLink term={configTerm(field.path)} />
      </span>
      {input}
      <small className="muted">
        {field.help}
        {field.recommended ? (
          <>
            {" "}
            · <em>usual: {field.recommended}</em>
          </>
        ) : null}
      </small>
    </div>
  );
}

/** The training config form, generated from the schema's table of fields and help texts. */
export function ConfigFormView({ api, trainSamples }: { api: StudioApi; trainSamples?: number }) {
  const validation = useMemo(
    () => validateConfig(api.studio.config, trainSamples ? { trainSamples } : {}),
    [api.studio.config, trainSamples],
  );
  const optimizerName = String(configValue(api.studio.config, "optimizer.name") ?? FORM.optimizer.field.defaultValue);
  const scheduleName = String(configValue(api.studio.config, "schedule.name") ?? FORM.schedule.field.defaultValue);
  const more = [
    ...FORM.main.filter((f) => !ESSENTIAL_PATHS.has(f.path)),
    ...(FORM.optimizer.byName[optimizerName] ?? []),
    FORM.schedule.field,
    ...(FORM.schedule.byName[scheduleName] ?? []).filter((f) => f.type !== "enum" || f.options),
  ];
  const changed = more.filter((f) => isChanged(api, f)).length + (isChanged(api, FORM.earlyStoppingSwitch) ? 1 : 0);
  return (
    <div className="config-form">
      <div className="cfg-grid">
        {FORM.main
          .filter((f) => ESSENTIAL_PATHS.has(f.path))
          .map((f) => (
            <FieldInput key={f.path} field={f} api={api} />
          ))}
        <FieldInput field={FORM.optimizer.field} api={api} />
      </div>
      {/* The settings a first run never needs stay one click away, so Start stays in view. */}
      <details className="cfg-more" open={changed > 0 || undefined}>
        <summary>
          More training options{" "}
          <span className="muted">(optimizer settings, schedule, regularisation, early stopping)</span>
          {changed > 0 && <span className="cfg-changed"> · {changed} changed</span>}
        </summary>
        <div className="cfg-grid">
          {more.map((f) => (
            <FieldInput key={f.path} field={f} api={api} />
          ))}
        </div>
        <EarlyStoppingFields api={api} />
      </details>
      {validation.problems.map((p) => (
        <div key={p.message} className={`problem ${p.severity}`} role={p.severity === "error" ? "alert" : "status"}>
          <span>{p.message}</span>
          {p.autofix && (
            <button
              type="button"
              className="fix"
              onClick={() => api.run("setConfigField", { field: p.autofix!.field, value: p.autofix!.value })}
            >
              Fix: {p.fix}
            </button>
          )}
        </div>
      ))}
    </div>
  );
}

/** The early-stopping switch and, while it is on, what it watches and how long it waits. */
function EarlyStoppingFields({ api }: { api: StudioApi }) {
  const on = configValue(api.studio.config, "earlyStopping") != null;
  return (
    <fieldset className="cfg-group" data-testid="early-stopping">
      <legend>Early stopping</legend>
      <div className="cfg-grid">
        <FieldInput field={FORM.earlyStoppingSwitch} api={api} />
        {on && FORM.earlyStopping.map((f) => <FieldInput key={f.path} field={f} api={api} />)}
      </div>
    </fieldset>
  );
}

/** The input-normalisation choice, for the data panel. */
export function NormalizationField({ api }: { api: StudioApi }) {
  return (
    <div className="cfg-grid">
      <FieldInput field={FORM.normalization} api={api} />
    </div>
  );
}

/** The augmentation fields, for the data panel. */
export function AugmentationFields({ api }: { api: StudioApi }) {
  return (
    <div className="cfg-grid">
      {FORM.augmentation.map((f) => (
        <FieldInput key={f.path} field={f} api={api} />
      ))}
    </div>
  );
}
