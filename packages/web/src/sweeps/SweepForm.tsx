import { analyzeSpec, expandSweep, type SweepPlan, sweepControlStatement, validateConfig } from "@layerlab/spec";
import { useEffect, useMemo, useRef, useState } from "react";
import { HelpLink } from "../guide/HelpLink";
import type { StudioApi } from "../state/useStudio";
import { planOf, type SweepChoice, startSweep } from "./startSweep";
import {
  parseValues,
  pickedValues,
  type SweepSetting,
  sweepSetting,
  sweepSettings,
  type ValuesParse,
  valuesText,
} from "./sweepSettings";
import "./sweeps.css";

/** One setting of the form as typed: its path, the values text (numbers) and the picked options (names). */
interface AxisDraft {
  field: string;
  text: string;
  picked: string[];
}

/** A setting's draft with its own default values. */
function draftOf(setting: SweepSetting): AxisDraft {
  return {
    field: setting.field,
    text: setting.kind === "enum" ? "" : valuesText(setting.defaults),
    picked: setting.kind === "enum" ? setting.defaults.map(String) : [],
  };
}

function parseAxis(axis: AxisDraft): ValuesParse {
  const setting = sweepSetting(axis.field)!;
  return setting.kind === "enum" ? pickedValues(setting, axis.picked) : parseValues(setting, axis.text);
}

/** The outcome of the form as it stands: the sweep to start, or what stops it (each naming the fix). */
type Reading =
  | { ok: true; choice: SweepChoice; runs: number; control: string; epochs: number }
  | { ok: false; problems: string[] };

/** One setting's row: which setting, and its values (typed, or picked). */
function AxisEditor({
  index,
  axis,
  other,
  onChange,
  onRemove,
}: {
  index: number;
  axis: AxisDraft;
  other: string | null;
  onChange: (axis: AxisDraft) => void;
  onRemove?: () => void;
}) {
  const setting = sweepSetting(axis.field)!;
  const parsed = parseAxis(axis);
  const selectId = `sweep-setting-${index}`;
  const valuesId = `sweep-values-${index}`;
  return (
    <fieldset className="sweep-axis">
      <legend>{index === 0 ? "Setting" : "Second setting"}</legend>
      <div className="sweep-axis-row">
        <select
          id={selectId}
          aria-label={`Setting ${index + 1}`}
          value={axis.field}
          onChange={(e) => onChange(draftOf(sweepSetting(e.target.value)!))}
        >
          {sweepSettings()
            .filter((s) => s.field !== other)
            .map((s) => (
              <option key={s.field} value={s.field}>
                {s.label}
              </option>
            ))}
        </select>
        {onRemove && (
          <button type="button" className="ghost" onClick={onRemove}>
            Remove
          </button>
        )}
      </div>
      {setting.kind === "enum" ? (
        <fieldset className="chips sweep-options">
          <legend className="sr-only">Values of {setting.label.toLowerCase()}</legend>
          {(setting.options ?? []).map((o) => (
            <label key={o} className="chip toggle">
              <input
                type="checkbox"
                checked={axis.picked.includes(o)}
                onChange={(e) =>
                  onChange({
                    ...axis,
                    picked: e.target.checked ? [...axis.picked, o] : axis.picked.filter((p) => p !== o),
                  })
                }
              />
              {o}
            </label>
          ))}
        </fieldset>
      ) : (
        <div className="cfg-field">
          <label htmlFor={valuesId}>Values of {setting.label.toLowerCase()}, separated by commas</label>
          <input
            id={valuesId}
            value={axis.text}
            inputMode="text"
            spellCheck={false}
            aria-invalid={!parsed.ok}
            onChange={(e) => onChange({ ...axis, text: e.target.value })}
          />
        </div>
      )}
      {!parsed.ok && <p className="problem error">{parsed.error}</p>}
      {setting.note && <p className="muted">Note: {setting.note}.</p>}
    </fieldset>
  );
}

/**
 * "Sweep…" of the Train page: one or two settings and their values, or a k-fold cross-validation; it shows
 * how many runs that makes and what every run shares before anything starts, and starts the sweep on the
 * server or in this browser.
 */
export function SweepForm({
  api,
  serverUp,
  limit,
  onClose,
}: {
  api: StudioApi;
  serverUp: boolean;
  limit: number | "";
  onClose: () => void;
}) {
  const [mode, setMode] = useState<"grid" | "kfold">("grid");
  const [axes, setAxes] = useState<AxisDraft[]>(() => [draftOf(sweepSetting("learningRate")!)]);
  const [folds, setFolds] = useState(5);
  const [where, setWhere] = useState<"server" | "browser">(serverUp ? "server" : "browser");
  const [name, setName] = useState("");
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.scrollIntoView({ behavior: "smooth", block: "start" });
  }, []);
  // The server is found after the page opens: until the person picks, a server that answers is the default.
  const wherePicked = useRef(false);
  useEffect(() => {
    if (!serverUp && where === "server") setWhere("browser");
    else if (serverUp && !wherePicked.current && where === "browser") setWhere("server");
  }, [serverUp, where]);
  const pickWhere = (next: "server" | "browser") => {
    wherePicked.current = true;
    setWhere(next);
  };

  const { studio } = api;
  const reading: Reading = useMemo(() => {
    if (!analyzeSpec(studio.spec).ok) return { ok: false, problems: ["fix the model's errors in the builder first"] };
    const config = validateConfig(studio.config);
    if (!config.ok || !config.config) return { ok: false, problems: ["fix the training config's errors first"] };
    let choice: SweepChoice;
    if (mode === "kfold") {
      choice = { kind: "kfold", folds };
    } else {
      const parsed = axes.map(parseAxis);
      const bad = parsed.flatMap((p) => (p.ok ? [] : [p.error]));
      if (bad.length > 0) return { ok: false, problems: bad };
      const plan: SweepPlan = {
        axes: axes.map((a, i) => ({
          field: a.field,
          values: (parsed[i] as { values: SweepPlan["axes"][0]["values"] }).values,
        })),
      };
      choice = { kind: "grid", plan };
    }
    try {
      const { base, plan } = planOf(studio.config, choice);
      const grid = expandSweep(base, plan);
      if (!grid.ok) return { ok: false, problems: grid.problems };
      const seed = grid.cells[0]!.config.seed;
      return {
        ok: true,
        choice,
        runs: grid.cells.length,
        control: sweepControlStatement(plan, seed),
        epochs: grid.cells[0]!.config.epochs,
      };
    } catch (err) {
      return { ok: false, problems: [err instanceof Error ? err.message : String(err)] };
    }
  }, [studio.spec, studio.config, mode, axes, folds]);

  const start = async () => {
    if (!reading.ok) return;
    setStarting(true);
    setError(null);
    try {
      const id = await startSweep({
        studio,
        choice: reading.choice,
        where,
        serverUp,
        ...(limit ? { limit } : {}),
        ...(name.trim() ? { name } : {}),
      });
      window.location.hash = `#/sweeps/${encodeURIComponent(id)}`;
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setStarting(false);
    }
  };
  const secondDefault = () => {
    const first = axes[0]!.field;
    return draftOf(sweepSetting(first === "optimizer" ? "learningRate" : "optimizer")!);
  };

  return (
    <section className="panel wide sweep-form" aria-labelledby="sweep-form-h" ref={panel}>
      <div className="toolbar">
        <h2 id="sweep-form-h">Sweep</h2>
        <HelpLink term="sweep" />
        <span className="spacer" />
        <button type="button" className="ghost" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted">
        Train the current model and config several times, changing only the settings you name, and see what each change
        did.
      </p>
      <fieldset className="where">
        <legend>What to vary</legend>
        <label className="radio">
          <input type="radio" name="sweep-mode" checked={mode === "grid"} onChange={() => setMode("grid")} /> Compare
          settings (one or two, every combination)
        </label>
        <label className="radio">
          <input type="radio" name="sweep-mode" checked={mode === "kfold"} onChange={() => setMode("kfold")} /> k-fold
          cross-validation <HelpLink term="k-fold" />
        </label>
      </fieldset>
      {mode === "grid" ? (
        <div className="sweep-axes">
          {axes.map((axis, i) => (
            <AxisEditor
              key={i === 0 ? "first" : "second"}
              index={i}
              axis={axis}
              other={axes[1 - i]?.field ?? null}
              onChange={(next) => setAxes((all) => all.map((a, k) => (k === i ? next : a)))}
              {...(i === 1 ? { onRemove: () => setAxes((all) => all.slice(0, 1)) } : {})}
            />
          ))}
          {axes.length === 1 && (
            <button type="button" onClick={() => setAxes((all) => [...all, secondDefault()])}>
              + Add a second setting
            </button>
          )}
        </div>
      ) : (
        <div className="cfg-field sweep-folds">
          <label htmlFor="sweep-folds">Folds (k)</label>
          <input
            id="sweep-folds"
            type="number"
            min={2}
            max={10}
            step={1}
            value={folds}
            onChange={(e) => setFolds(Math.round(Number(e.target.value)))}
          />
          <span className="muted">
            The training data is cut into k stratified parts; run i validates on part i and trains on the rest.
          </span>
        </div>
      )}
      <fieldset className="where">
        <legend>Where</legend>
        <label className="radio">
          <input
            type="radio"
            name="sweep-where"
            checked={where === "server"}
            disabled={!serverUp}
            onChange={() => pickWhere("server")}
          />{" "}
          On the server {serverUp ? "(its queue and workers)" : "(none answers here)"}
        </label>
        <label className="radio">
          <input type="radio" name="sweep-where" checked={where === "browser"} onChange={() => pickWhere("browser")} />{" "}
          In this browser, one run after another
        </label>
      </fieldset>
      <div className="cfg-field">
        <label htmlFor="sweep-name">Name (optional)</label>
        <input
          id="sweep-name"
          value={name}
          placeholder="e.g. lr × optimizer"
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <div className="sweep-summary" data-testid="sweep-summary">
        {reading.ok ? (
          <>
            <p>
              <b>{reading.runs} runs</b> of {reading.epochs} epoch{reading.epochs === 1 ? "" : "s"} each
              {limit ? `, on the first ${limit} samples` : ""}.
            </p>
            <p data-testid="sweep-control-preview">{reading.control}</p>
          </>
        ) : (
          <ul className="problem error" role="alert">
            {reading.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
      </div>
      <div className="toolbar">
        <button type="button" className="primary" disabled={!reading.ok || starting} onClick={start}>
          {reading.ok ? `Start sweep of ${reading.runs} runs` : "Start sweep"}
        </button>
        {error && (
          <span className="problem error" role="alert">
            {error}
          </span>
        )}
      </div>
    </section>
  );
}
