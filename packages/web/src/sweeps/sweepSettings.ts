import { NORMALIZATION_MODES, OPTIMIZER_NAMES, SCHEDULE_NAMES, type SweepValue } from "@layerlab/spec";
import { type ConfigField, configForm } from "../train/configFields";

/*
 * The settings a sweep form offers and the values it starts with. Names, help and bounds come from the
 * training form (generated from the config schema); what is sweep-specific — which settings make sense to
 * vary, and a first set of values worth comparing — is kept here.
 */

/** One setting a sweep can vary. */
export interface SweepSetting {
  /** The config path, as a sweep plan's axis names it. */
  field: string;
  label: string;
  /** "enum": pick from `options`; numbers are typed as a comma-separated list. */
  kind: "number" | "integer" | "enum";
  options?: readonly string[];
  /** Values that make a first sweep of this setting worth looking at. */
  defaults: readonly SweepValue[];
  /** When the setting only means something with other settings (momentum needs SGD or RMSprop). */
  note?: string;
}

/** Sweep-specific facts per config path; the label comes from the training form. */
const OFFERED: readonly (Omit<SweepSetting, "label"> & { fallbackLabel: string })[] = [
  { field: "learningRate", kind: "number", defaults: [1e-4, 1e-3, 1e-2], fallbackLabel: "Learning rate" },
  { field: "optimizer", kind: "enum", options: OPTIMIZER_NAMES, defaults: ["sgd", "adam"], fallbackLabel: "Optimizer" },
  { field: "batchSize", kind: "integer", defaults: [32, 64, 128], fallbackLabel: "Batch size" },
  { field: "weightDecay", kind: "number", defaults: [0, 1e-4, 1e-3], fallbackLabel: "Weight decay" },
  {
    field: "optimizer.momentum",
    kind: "number",
    defaults: [0, 0.9],
    fallbackLabel: "Momentum",
    note: "momentum belongs to SGD and RMSprop: pick one of them as the optimizer (or sweep the optimizer too)",
  },
  { field: "labelSmoothing", kind: "number", defaults: [0, 0.1], fallbackLabel: "Label smoothing" },
  {
    field: "schedule",
    kind: "enum",
    options: SCHEDULE_NAMES,
    defaults: ["constant", "cosine"],
    fallbackLabel: "LR schedule",
  },
  { field: "validationSplit", kind: "number", defaults: [0.1, 0.2], fallbackLabel: "Validation split" },
  {
    field: "normalization",
    kind: "enum",
    options: NORMALIZATION_MODES,
    defaults: ["per-channel", "none"],
    fallbackLabel: "Input normalization",
  },
  { field: "augmentation.shift", kind: "number", defaults: [0, 0.1], fallbackLabel: "Shift" },
  { field: "augmentation.rotation", kind: "number", defaults: [0, 10], fallbackLabel: "Rotation" },
];

/** Every input of the training form by path, variants included (momentum is SGD's). */
function formLabels(): Map<string, string> {
  const form = configForm();
  const fields: ConfigField[] = [
    ...form.main,
    form.normalization,
    form.optimizer.field,
    form.schedule.field,
    ...Object.values(form.optimizer.byName).flat(),
    ...form.augmentation.map((f) => ({ ...f, label: `Augmentation: ${f.label.toLowerCase()}` })),
  ];
  const labels = new Map<string, string>();
  for (const f of fields) if (!labels.has(f.path)) labels.set(f.path, f.label);
  // The variant selects are named by their discriminator ("optimizer.name"); a sweep sets the whole choice.
  labels.set("optimizer", form.optimizer.field.label);
  labels.set("schedule", form.schedule.field.label);
  return labels;
}

let settings: readonly SweepSetting[] | null = null;

/** The settings a sweep may vary, in the order the form lists them. */
export function sweepSettings(): readonly SweepSetting[] {
  if (settings) return settings;
  const labels = formLabels();
  settings = OFFERED.map(({ fallbackLabel, ...s }) => ({ ...s, label: labels.get(s.field) ?? fallbackLabel }));
  return settings;
}

/** The setting at config path `field`. */
export function sweepSetting(field: string): SweepSetting | undefined {
  return sweepSettings().find((s) => s.field === field);
}

/** A setting's label for headings and axes ("Learning rate"), or its path when the form does not offer it. */
export function settingLabel(field: string): string {
  if (field === "crossValidation.fold") return "Fold";
  return sweepSetting(field)?.label ?? field;
}

/** Values as the form's text input shows them: small rates all in exponent form ("1e-4, 1e-3, 1e-2"), others plain. */
export function valuesText(values: readonly SweepValue[]): string {
  const tiny = values.some((v) => typeof v === "number" && v !== 0 && Math.abs(v) < 1e-3);
  const write = (v: SweepValue) =>
    tiny && typeof v === "number" && v !== 0 && Math.abs(v) < 1 ? v.toExponential() : String(v);
  return values.map(write).join(", ");
}

/** What a values input says: the values, or what is wrong with the text and how to write it. */
export type ValuesParse = { ok: true; values: SweepValue[] } | { ok: false; error: string };

/** Reads "1e-4, 1e-3, 0.01" (commas or spaces between numbers) for a numeric setting. */
export function parseValues(setting: SweepSetting, text: string): ValuesParse {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== "");
  const values: SweepValue[] = [];
  for (const part of parts) {
    const n = Number(part);
    if (!Number.isFinite(n)) {
      return {
        ok: false,
        error: `"${part}" is not a number: write numbers separated by commas, e.g. 1e-4, 1e-3, 1e-2`,
      };
    }
    if (setting.kind === "integer" && !Number.isInteger(n)) {
      return {
        ok: false,
        error: `"${part}" is not a whole number: ${setting.label.toLowerCase()} takes whole numbers`,
      };
    }
    values.push(n);
  }
  return checkCount(setting, values);
}

/** The picked options of an enum setting, in the setting's own order. */
export function pickedValues(setting: SweepSetting, picked: readonly string[]): ValuesParse {
  return checkCount(
    setting,
    (setting.options ?? []).filter((o) => picked.includes(o)),
  );
}

function checkCount(setting: SweepSetting, values: SweepValue[]): ValuesParse {
  if (values.length < 2) {
    return {
      ok: false,
      error: `${setting.label} needs at least two values to compare; ${setting.kind === "enum" ? "pick" : "add"} another`,
    };
  }
  if (values.length > 12) return { ok: false, error: `${setting.label} has ${values.length} values; use 12 at most` };
  return { ok: true, values };
}

/** How a chart lays out a setting's values along its x axis. */
export type AxisScale = "log" | "linear" | "category";

/**
 * Names and booleans are categories, in the order given. Positive numbers spanning a decade or more sit on a
 * log axis (1e-4, 1e-3, 1e-2 evenly apart); numbers that span decades but include 0 are evenly spaced in
 * sorted order (a log axis has no 0, a linear one would squash 0 and 1e-4 together); others are linear.
 */
export function axisScale(values: readonly SweepValue[]): AxisScale {
  if (!values.every((v) => typeof v === "number")) return "category";
  const nums = values as number[];
  const positive = nums.filter((v) => v > 0);
  const spansDecades = positive.length >= 2 && Math.max(...positive) / Math.min(...positive) >= 10;
  if (positive.length === nums.length && spansDecades) return "log";
  if (spansDecades) return "category";
  return "linear";
}
