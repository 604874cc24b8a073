import { applyConfigEdit, applyEdit, type DoctorFinding, diagnose, isConfigEdit } from "@layerlab/spec";
import { useEffect, useMemo, useState } from "react";
import { explainFindings, llmAvailable } from "../api/client";
import type { StudioApi } from "../state/useStudio";
import { doctorInput } from "./doctorInput";
import type { LocalRun } from "./trainer";

/** Whether two setups are the same model and config (the fix was computed against the run's). */
function sameSetup(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** "Explain in plain words": the findings sent to the server's LLM, shown only when the server has one. */
function LlmExplanation({ findings }: { findings: DoctorFinding[] }) {
  const [available, setAvailable] = useState(false);
  const [state, setState] = useState<{ key: string; text?: string | null; error?: string; loading?: boolean }>({
    key: "",
  });
  useEffect(() => {
    let live = true;
    llmAvailable().then((yes) => live && setAvailable(yes));
    return () => {
      live = false;
    };
  }, []);
  // An explanation belongs to the findings it was asked about.
  const key = findings.map((f) => `${f.id}:${f.evidence}`).join("|");
  if (!available || findings.length === 0) return null;
  const current = state.key === key ? state : { key };
  const ask = () => {
    setState({ key, loading: true });
    explainFindings(findings).then(
      (text) => setState({ key, text }),
      (err: unknown) => setState({ key, error: err instanceof Error ? err.message : String(err) }),
    );
  };
  return (
    <div className="llm-explanation" data-testid="llm-explanation">
      <button type="button" onClick={ask} disabled={current.loading}>
        {current.loading ? "Asking the AI…" : "Explain in plain words (AI)"}
      </button>
      {current.text && <p data-testid="llm-text">{current.text}</p>}
      {current.error && <p className="problem error">The explanation failed: {current.error}</p>}
    </div>
  );
}

/**
 * The training doctor for one run: findings in plain words with their
 * evidence, worst first, each fix one click away. A fix is a studio command,
 * so Undo takes it back; when the builder has moved on from the run's setup,
 * the fix reopens the run's setup with the fix applied (one command, too).
 */
export function DoctorPanel({ run, api }: { run: LocalRun; api: StudioApi }) {
  const findings = useMemo(() => diagnose(doctorInput(run)), [run, run.version]);
  const current = sameSetup(api.studio.spec, run.studio.spec) && sameSetup(api.studio.config, run.studio.config);
  // Fixes applied from this panel (run id and finding id): each says where its change went instead of
  // offering itself again, as a second click would apply it twice.
  const [applied, setApplied] = useState<ReadonlySet<string>>(new Set());
  const appliedKey = (f: DoctorFinding) => `${run.id}:${f.id}`;
  const apply = (f: DoctorFinding) => {
    const fix = f.fix!;
    setApplied((done) => new Set(done).add(appliedKey(f)));
    if (current) {
      if (isConfigEdit(fix)) api.run("setConfigField", { field: fix.field, value: fix.value });
      else api.run("applyFix", { edit: fix, fix: f.suggestion });
      return;
    }
    const studio = isConfigEdit(fix)
      ? { ...run.studio, config: applyConfigEdit(run.studio.config, fix) }
      : { ...run.studio, spec: applyEdit(run.studio.spec, fix) };
    api.run("loadStudio", { studio });
  };
  return (
    <section className="doctor" data-testid="doctor" aria-label="Training doctor">
      <h3>Training doctor</h3>
      {findings.length === 0 && (
        <p className="muted" data-testid="doctor-healthy">
          {run.series.epoch.epoch.length === 0
            ? "The doctor looks at the curves after the first epoch."
            : "Nothing looks wrong so far."}
        </p>
      )}
      <ul className="findings">
        {findings.map((f) => (
          <li key={f.id} className={`finding ${f.severity}`} data-testid={`finding-${f.id}`}>
            <strong>{f.title}</strong>
            <p className="evidence">{f.evidence}</p>
            <p>{f.suggestion}</p>
            {f.fix && applied.has(appliedKey(f)) && (
              <p className="applied" role="status">
                {isConfigEdit(f.fix) ? (
                  "Applied to the training settings; Undo on the Build page takes it back."
                ) : (
                  <>
                    Applied to the model. <a href="#/build">See it in the builder →</a>
                  </>
                )}
              </p>
            )}
            {f.fix && !applied.has(appliedKey(f)) && (
              <button type="button" className="fix" onClick={() => apply(f)}>
                Apply{current ? "" : " to this run's setup"}
              </button>
            )}
          </li>
        ))}
      </ul>
      <LlmExplanation findings={findings} />
    </section>
  );
}
