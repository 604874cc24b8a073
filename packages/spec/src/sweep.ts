import { z } from "zod";
import { TrainingConfig, type TrainingConfigInput } from "./config";
import type { RunMetrics } from "./run-metrics";
import { applyConfigEdit, validateConfig } from "./validateConfig";

/*
 * A sweep is a controlled experiment: one base model and config, one or two training settings each given a
 * list of values, and one run per combination. Every run keeps the base config's seed, and the seed alone
 * decides the initial weights, the validation split, the shuffling of every epoch, dropout and
 * augmentation, so the runs differ only in the named settings.
 */

/** The most runs one sweep may queue: a 6×6 grid. */
export const MAX_SWEEP_RUNS = 36;

/** Settings a sweep may not vary, and why. */
const FIXED_FIELDS: Record<string, string> = {
  seed: "a sweep holds the seed fixed so every run starts from the same weights and sees the same data order",
  epochs: "every run of a sweep trains the same number of epochs, so their final metrics compare",
};

export const SweepValue = z.union([z.number(), z.string(), z.boolean()]);
export type SweepValue = z.infer<typeof SweepValue>;

export const SweepAxis = z
  .object({
    /** A config field by its dotted path: `learningRate`, `optimizer`, `optimizer.momentum`, `batchSize`. */
    field: z.string().min(1).max(80),
    values: z.array(SweepValue).min(2).max(12),
  })
  .strict();
export type SweepAxis = z.infer<typeof SweepAxis>;

/** What a learner asks for: one or two settings and their values. */
export const SweepPlan = z
  .object({
    name: z.string().max(200).optional(),
    axes: z.array(SweepAxis).min(1).max(2),
  })
  .strict();
export type SweepPlan = z.infer<typeof SweepPlan>;

/** One run of the grid: the values it was given, in axis order, and its whole config. */
export interface SweepCell {
  index: number;
  values: SweepValue[];
  config: TrainingConfig;
  /** `learningRate=0.001, optimizer=adam`: the cell as a run's name suffix. */
  label: string;
}

/** The grid of a plan, or the problems that stop it (each naming the field or value and the fix). */
export type SweepExpansion = { ok: true; cells: SweepCell[] } | { ok: false; problems: string[] };

/** Every combination of the axes' values (the first axis varies slowest), each a checked config. */
export function expandSweep(base: TrainingConfigInput, plan: SweepPlan): SweepExpansion {
  const problems: string[] = [];
  const fields = plan.axes.map((a) => a.field);
  if (new Set(fields).size !== fields.length)
    problems.push(`'${fields[0]}' is swept twice; give each axis its own setting`);
  for (const axis of plan.axes) {
    const why = FIXED_FIELDS[axis.field.split(".")[0]!];
    if (why) problems.push(`'${axis.field}' cannot be swept: ${why}`);
    const seen = new Set(axis.values.map((v) => JSON.stringify(v)));
    if (seen.size !== axis.values.length) problems.push(`'${axis.field}' lists a value twice; list each value once`);
  }
  const total = plan.axes.reduce((n, a) => n * a.values.length, 1);
  if (total > MAX_SWEEP_RUNS) {
    problems.push(`the grid has ${total} runs, over the ${MAX_SWEEP_RUNS} a sweep may queue; use fewer values`);
  }
  if (problems.length > 0) return { ok: false, problems };

  const combos: SweepValue[][] = plan.axes.reduce<SweepValue[][]>(
    (acc, axis) => acc.flatMap((prefix) => axis.values.map((v) => [...prefix, v])),
    [[]],
  );
  const cells: SweepCell[] = [];
  combos.forEach((values, index) => {
    let config: TrainingConfigInput = base;
    plan.axes.forEach((axis, k) => {
      config = applyConfigEdit(config, { op: "setConfigField", field: axis.field, value: values[k] });
    });
    const checked = validateConfig(config);
    const label = plan.axes.map((axis, k) => `${axis.field}=${formatSweepValue(values[k]!)}`).join(", ");
    const unknown = plan.axes.find((axis) => !hasField(checked.config, axis.field));
    if (unknown) {
      problems.push(
        `'${unknown.field}' is not a training setting; name one such as learningRate, optimizer, batchSize`,
      );
    } else if (!checked.ok || checked.config === null) {
      const first = checked.problems.find((p) => p.severity === "error");
      problems.push(`${label}: ${first?.message ?? "the config is not valid"}`);
    } else {
      cells.push({ index, values, config: checked.config, label });
    }
  });
  if (problems.length > 0) return { ok: false, problems: [...new Set(problems)] };
  return { ok: true, cells };
}

function hasField(config: TrainingConfig | null, field: string): boolean {
  if (config === null) return true; // the value is what is wrong; validateConfig says so
  let node: unknown = config;
  for (const key of field.split(".")) {
    if (typeof node !== "object" || node === null || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** `0.001`, `adam`, `true`: a value as labels and tables print it. */
export function formatSweepValue(value: SweepValue): string {
  if (typeof value !== "number") return String(value);
  return Math.abs(value) > 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
}

/** The sentence every sweep shows beside its results: what was held fixed and what differs. */
export function sweepControlStatement(plan: SweepPlan, seed: number): string {
  if (isKFold(plan)) {
    const k = plan.axes[0]!.values.length;
    return `Every fold starts from the same initial weights (seed ${seed}) and shuffles the same way; each holds out a different one of ${k} stratified parts of the training data for validation and trains on the rest.`;
  }
  const varied = plan.axes.map((a) => a.field).join(" and ");
  const batch = plan.axes.some((a) => a.field === "batchSize")
    ? " (with other batch sizes the same shuffled order is cut into batches of other sizes)"
    : "";
  const verb = plan.axes.length === 1 ? "differs" : "differ";
  return `Every run starts from the same initial weights (seed ${seed}) and sees the same validation split and the same data order each epoch${batch}; only ${varied} ${verb}.`;
}

/** The metric a sweep ranks its runs by: test accuracy where there is one, else the last validation accuracy. */
export function sweepScore(metrics: RunMetrics | null): number | null {
  if (metrics === null) return null;
  if (metrics.test_acc !== null) return metrics.test_acc;
  for (let i = metrics.val_acc.length - 1; i >= 0; i--) {
    const v = metrics.val_acc[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

/** One run's outcome as a sweep's summary reads it. */
export interface SweepOutcome {
  cell: SweepCell;
  /** `sweepScore`: null while the run has not finished, or when it failed. */
  score: number | null;
  /** True when the training loss became NaN or infinite. */
  diverged: boolean;
}

/** What a sweep's results say: the best and worst runs, how much each setting moved the metric, in words. */
export interface SweepSummary {
  best: SweepOutcome | null;
  worst: SweepOutcome | null;
  /** Per axis: the mean score at each value (over the other axis), and the spread between them. */
  effects: { field: string; means: (number | null)[]; spread: number | null }[];
  findings: string[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Reads a sweep's finished runs. */
export function summarizeSweep(plan: SweepPlan, outcomes: readonly SweepOutcome[]): SweepSummary {
  // Folds are not settings to choose between: a k-fold's result is its mean ± std (kFoldResult).
  if (isKFold(plan)) {
    const open = outcomes.filter((o) => o.score === null && !o.diverged).length;
    const findings = open > 0 ? [`${open} of ${outcomes.length} folds have no result yet.`] : [];
    return { best: null, worst: null, effects: [], findings };
  }
  const scored = outcomes.filter((o) => o.score !== null);
  const byScore = [...scored].sort((a, b) => b.score! - a.score!);
  const best = byScore[0] ?? null;
  const worst = byScore[byScore.length - 1] ?? null;
  const effects = plan.axes.map((axis, k) => {
    const means = axis.values.map((value) => {
      const at = scored.filter((o) => JSON.stringify(o.cell.values[k]) === JSON.stringify(value));
      return at.length === 0 ? null : at.reduce((s, o) => s + o.score!, 0) / at.length;
    });
    const known = means.filter((m): m is number => m !== null);
    const spread = known.length >= 2 ? Math.max(...known) - Math.min(...known) : null;
    return { field: axis.field, means, spread };
  });

  const findings: string[] = [];
  if (best && worst && best !== worst) {
    findings.push(
      `Best: ${best.cell.label} at ${pct(best.score!)}; worst: ${worst.cell.label} at ${pct(worst.score!)}.`,
    );
  }
  for (const o of outcomes.filter((x) => x.diverged)) {
    findings.push(
      `${o.cell.label} diverged (its loss became NaN or infinite): that setting is too aggressive for this model.`,
    );
  }
  for (const effect of effects) {
    if (effect.spread === null) continue;
    const axis = plan.axes.find((a) => a.field === effect.field)!;
    const top = effect.means.indexOf(Math.max(...effect.means.filter((m): m is number => m !== null)));
    findings.push(
      effect.spread < 0.005
        ? `${effect.field} hardly mattered: its values are within ${pct(effect.spread)} of each other.`
        : `${effect.field} moved the score by ${pct(effect.spread)}; ${formatSweepValue(axis.values[top]!)} did best on average.`,
    );
  }
  if (effects.length === 2 && effects[0]!.spread !== null && effects[1]!.spread !== null) {
    const [a, b] = effects as [(typeof effects)[0], (typeof effects)[0]];
    if (Math.abs(a.spread! - b.spread!) >= 0.01) {
      const [more, less] = a.spread! > b.spread! ? [a, b] : [b, a];
      findings.push(`Here ${more.field} mattered more than ${less.field}.`);
    }
  }
  const pending = outcomes.length - scored.length - outcomes.filter((o) => o.diverged && o.score === null).length;
  if (pending > 0) findings.push(`${pending} of ${outcomes.length} runs have no result yet.`);
  return { best, worst, effects, findings };
}

/** The config a sweep's runs share before the swept settings are applied, with defaults filled. */
export function sweepBaseConfig(base: TrainingConfigInput): TrainingConfig {
  return TrainingConfig.parse(base);
}

/** The axis of a k-fold run: a sweep over which fold is held out. */
export const FOLD_FIELD = "crossValidation.fold";

/**
 * A k-fold cross-validation as a sweep: the base config with `crossValidation` set, and one run per fold.
 * Every fold keeps the seed, so all k start from the same weights and only the held-out part differs.
 */
export function kFoldPlan(base: TrainingConfigInput, folds: number): { base: TrainingConfigInput; plan: SweepPlan } {
  if (!Number.isInteger(folds) || folds < 2 || folds > 10) {
    throw new Error(`k-fold: ${folds} folds is not allowed; use 2 to 10 (5 is usual)`);
  }
  return {
    base: { ...base, crossValidation: { folds, fold: 0 } },
    plan: {
      name: `${folds}-fold cross-validation`,
      axes: [{ field: FOLD_FIELD, values: Array.from({ length: folds }, (_, f) => f) }],
    },
  };
}

/** True for a sweep that is a k-fold cross-validation. */
export function isKFold(plan: SweepPlan): boolean {
  return plan.axes.length === 1 && plan.axes[0]!.field === FOLD_FIELD;
}

/** A k-fold's one result: the final validation accuracy of each fold, their mean and sample standard deviation. */
export interface KFoldResult {
  perFold: (number | null)[];
  mean: number | null;
  std: number | null;
  /** `97.1% ± 0.4% over 5 folds`; says how many folds are still missing. */
  text: string;
}

/** Final validation accuracy per fold (null while a fold has none), mean ± sample std over the finished ones. */
export function kFoldResult(perFoldMetrics: readonly (RunMetrics | null)[]): KFoldResult {
  const perFold = perFoldMetrics.map((m) => {
    if (m === null) return null;
    for (let i = m.val_acc.length - 1; i >= 0; i--) {
      const v = m.val_acc[i];
      if (v !== null && v !== undefined) return v;
    }
    return null;
  });
  const done = perFold.filter((v): v is number => v !== null);
  const k = perFold.length;
  if (done.length === 0) return { perFold, mean: null, std: null, text: `no fold of ${k} has finished yet` };
  const mean = done.reduce((s, v) => s + v, 0) / done.length;
  const std = done.length < 2 ? null : Math.sqrt(done.reduce((s, v) => s + (v - mean) ** 2, 0) / (done.length - 1));
  const spread = std === null ? "" : ` ± ${pct(std)}`;
  const missing = done.length < k ? ` (${k - done.length} of ${k} folds still to come)` : "";
  return { perFold, mean, std, text: `${pct(mean)}${spread} over ${done.length} folds${missing}` };
}

/** The format tag of `sweep.json`, the file that makes a folder of runs one sweep. */
export const SWEEP_FORMAT = "layerlab.sweep/1";

/** `sweep.json`: the plan, what the runs share, and where each run's folder is (relative to the sweep's). */
export const SweepFile = z
  .object({
    format: z.literal(SWEEP_FORMAT),
    name: z.string(),
    plan: SweepPlan,
    /** What the model argument named: a template id or a spec file. */
    model: z.string(),
    dataset: z.string(),
    seed: z.number().int(),
    /** `sweepControlStatement`: what is held fixed and what differs. */
    control: z.string(),
    runs: z.array(z.object({ dir: z.string(), label: z.string(), values: z.array(SweepValue) }).strict()),
    createdAt: z.string(),
  })
  .strict();
export type SweepFile = z.infer<typeof SweepFile>;

/** A folder-safe name for a cell: `03-learningRate-0.01-optimizer-adam`. */
export function sweepRunFolder(cell: SweepCell, plan: SweepPlan): string {
  const parts = plan.axes.map((axis, k) => `${axis.field}-${formatSweepValue(cell.values[k]!)}`);
  const slug = parts.join("-").replace(/[^A-Za-z0-9._-]+/g, "_");
  return `${String(cell.index + 1).padStart(2, "0")}-${slug}`;
}
