import { validateConfig } from "@layerlab/spec";
import { useMemo } from "react";
import type { StudioApi } from "../state/useStudio";
import { type ConfigField, configForm, configValue } from "./configFields";

const FORM = configForm();

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
        onChange={(e) => set(e.target.checked)}
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
      <label htmlFor={id}>{field.label}</label>
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
  return (
    <div className="config-form">
      <div className="cfg-grid">
        {FORM.main.map((f) => (
          <FieldInput key={f.path} field={f} api={api} />
        ))}
        <FieldInput field={FORM.optimizer.field} api={api} />
        {(FORM.optimizer.byName[optimizerName] ?? []).map((f) => (
          <FieldInput key={f.path} field={f} api={api} />
        ))}
        <FieldInput field={FORM.schedule.field} api={api} />
        {(FORM.schedule.byName[scheduleName] ?? [])
          .filter((f) => f.type !== "enum" || f.options)
          .map((f) => (
            <FieldInput key={f.path} field={f} api={api} />
          ))}
      </div>
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
