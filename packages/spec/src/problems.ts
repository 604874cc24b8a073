import type { SpecEdit } from "./edits";
import type { Shape } from "./model";

/** How bad a problem is: errors stop training, warnings only advise. */
export type Severity = "error" | "warning";

/**
 * One thing wrong with a spec or config, said so that a learner can act on it.
 * `Fix` is the machine-applicable edit type: a `SpecEdit` for model specs, a
 * `ConfigEdit` for training configs.
 */
export interface Problem<Fix = SpecEdit> {
  severity: Severity;
  /** 0-based index of the layer at fault; null for model-level problems. */
  layer: number | null;
  /** The field at fault (`"kernel"`, `"input.shape"`, `"optimizer.momentum"`); null when none is. */
  field: string | null;
  /** Names the layer 1-based and its kind, says what is wrong and, after " — ", what to do. */
  message: string;
  /** What to do, on its own (an imperative a button tooltip can show). */
  fix: string;
  /** An edit that applies `fix` in one click, where one exists. */
  autofix?: Fix;
}

/** What a check found, before it is turned into a `Problem`. */
export interface Finding<Fix> {
  layer: number | null;
  field: string | null;
  /** What is wrong, starting with the layer's label where there is one. */
  what: string;
  /** The standalone fix. */
  fix: string;
  /** A shorter fix for the message itself, when `fix` would repeat `what`. */
  hint?: string;
  autofix?: Fix;
}

function make<Fix>(severity: Severity, f: Finding<Fix>): Problem<Fix> {
  const problem: Problem<Fix> = {
    severity,
    layer: f.layer,
    field: f.field,
    message: `${f.what} — ${f.hint ?? f.fix}`,
    fix: f.fix,
  };
  if (f.autofix !== undefined) problem.autofix = f.autofix;
  return problem;
}

/** An error: training cannot start until it is fixed. */
export function errorProblem<Fix>(f: Finding<Fix>): Problem<Fix> {
  return make("error", f);
}

/** A warning: the model trains, but probably not as intended. */
export function warningProblem<Fix>(f: Finding<Fix>): Problem<Fix> {
  return make("warning", f);
}

export { layerLabel } from "./layer-label";

/** `[64,5,5]`: a shape as messages print it. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** `61.2M`, `225,034`: a count short enough for a message. */
export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1).replace(/\.0$/, "")}M`;
  return n.toLocaleString("en-US");
}

/** True when any problem is an error. */
export function hasErrors(problems: readonly Problem<unknown>[]): boolean {
  return problems.some((p) => p.severity === "error");
}
