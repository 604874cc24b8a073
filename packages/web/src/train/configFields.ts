import { TrainingConfig } from "@layerlab/spec";

/** One input of the training form, read off the config schema (its `.describe()` text, bounds and default). */
export interface ConfigField {
  /** Dotted path into the config, as `applyConfigEdit` takes it. */
  path: string;
  label: string;
  help: string;
  type: "number" | "integer" | "boolean" | "enum";
  min?: number;
  max?: number;
  /** True when `max` itself is not allowed (`lt`). */
  maxExclusive?: boolean;
  options?: string[];
  defaultValue: unknown;
  /** What learners usually pick, shown next to the input. */
  recommended?: string;
}

/** Usual ranges the schema cannot know (seed 002's wish: say what is sensible). */
const RECOMMENDED: Record<string, string> = {
  learningRate: "Adam 1e-4 – 3e-3 · SGD 0.01 – 0.1",
  batchSize: "32 – 256",
  epochs: "1 – 20 in a browser",
  weightDecay: "0 – 1e-3",
  labelSmoothing: "0 – 0.1",
  validationSplit: "0.1 – 0.2",
  "optimizer.momentum": "0.9",
  "augmentation.shift": "0 – 0.1",
  "augmentation.rotation": "0 – 15°",
  "augmentation.zoom": "0 – 0.1",
  "augmentation.cutout": "0 – 0.3",
  "schedule.warmupEpochs": "0 – 2",
};

const LABELS: Record<string, string> = {
  learningRate: "Learning rate",
  batchSize: "Batch size",
  epochs: "Epochs",
  weightDecay: "Weight decay",
  labelSmoothing: "Label smoothing",
  validationSplit: "Validation split",
  normalization: "Input normalization",
  seed: "Seed",
  optimizer: "Optimizer",
  schedule: "LR schedule",
};

function labelOf(path: string): string {
  const last = path.split(".").pop()!;
  return LABELS[path] ?? last.replace(/([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase());
}

// zod 4 keeps checks and wrappers in `_zod.def`; these are the few shapes the config uses.
export type Def = {
  type: string;
  innerType?: Schema;
  in?: Schema;
  out?: Schema;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  options?: Schema[];
  shape?: Record<string, Schema>;
  checks?: { _zod: { def: Record<string, unknown> } }[];
  discriminator?: string;
};
export type Schema = {
  _zod: { def: Def };
  description?: string;
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
  shape?: Record<string, Schema>;
};

/** Peels defaults, optionals and preprocessors; returns the core schema, the default and the description. */
export function unwrap(schema: Schema): { core: Schema; defaultValue: unknown; description?: string } {
  let s = schema;
  let defaultValue: unknown;
  let description = s.description;
  for (;;) {
    const def = s._zod.def;
    if (def.type === "default") {
      defaultValue = typeof def.defaultValue === "function" ? (def.defaultValue as () => unknown)() : def.defaultValue;
      s = def.innerType!;
    } else if (def.type === "optional" || def.type === "nullable") s = def.innerType!;
    else if (def.type === "pipe") s = def.out!;
    else break;
    description ??= s.description;
  }
  return { core: s, defaultValue, description };
}

function numberField(path: string, core: Schema, defaultValue: unknown, help: string): ConfigField {
  const field: ConfigField = {
    path,
    label: labelOf(path),
    help,
    type: core.isInt ? "integer" : "number",
    defaultValue,
  };
  if (core.minValue !== null && core.minValue !== undefined && Number.isFinite(core.minValue))
    field.min = core.minValue;
  if (core.maxValue !== null && core.maxValue !== undefined && Number.isFinite(core.maxValue))
    field.max = core.maxValue;
  for (const check of core._zod.def.checks ?? []) {
    const d = check._zod.def;
    if (d.check === "less_than" && d.inclusive === false) field.maxExclusive = true;
  }
  const rec = RECOMMENDED[path];
  if (rec) field.recommended = rec;
  return field;
}

/** The fields of one object schema (an optimizer's or schedule's hyperparameters), under `prefix`. */
function objectFields(prefix: string, shape: Record<string, Schema>, skip: string[] = []): ConfigField[] {
  const fields: ConfigField[] = [];
  for (const [key, child] of Object.entries(shape)) {
    if (skip.includes(key)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const { core, defaultValue, description } = unwrap(child);
    const help = description ?? "";
    const type = core._zod.def.type;
    if (type === "number") fields.push(numberField(path, core, defaultValue, help));
    else if (type === "boolean") fields.push({ path, label: labelOf(path), help, type: "boolean", defaultValue });
    else if (type === "enum") {
      fields.push({
        path,
        label: labelOf(path),
        help,
        type: "enum",
        options: Object.values(core._zod.def.entries ?? {}),
        defaultValue,
      });
    }
  }
  return fields;
}

/** The variants of a discriminated union (optimizer, schedule): name → their own fields. */
function variants(path: string, schema: Schema): { field: ConfigField; byName: Record<string, ConfigField[]> } {
  const { core, defaultValue, description } = unwrap(schema);
  const byName: Record<string, ConfigField[]> = {};
  for (const option of core._zod.def.options ?? []) {
    const shape = option._zod.def.shape ?? {};
    const name = (shape.name as unknown as { _zod: { def: { values: string[] } } })._zod.def.values[0]!;
    byName[name] = objectFields(path, shape, ["name"]);
  }
  const field: ConfigField = {
    path: `${path}.name`,
    label: labelOf(path),
    help: description ?? "",
    type: "enum",
    options: Object.keys(byName),
    defaultValue: (defaultValue as { name?: string } | undefined)?.name,
  };
  return { field, byName };
}

/** The training form, generated from the `TrainingConfig` schema: one table, no hand-kept copy. */
export interface ConfigForm {
  /** Top-level scalar fields (learning rate, batch size, epochs, …). */
  main: ConfigField[];
  optimizer: { field: ConfigField; byName: Record<string, ConfigField[]> };
  schedule: { field: ConfigField; byName: Record<string, ConfigField[]> };
  augmentation: ConfigField[];
  earlyStopping: ConfigField[];
  /** Shown with the data (next to augmentation), not in the training form. */
  normalization: ConfigField;
}

/** Builds the form description once; the schema does not change at run time. */
export function configForm(): ConfigForm {
  const shape = (TrainingConfig as unknown as Schema).shape!;
  const augmentation = unwrap(shape.augmentation!).core.shape!;
  const early = unwrap(shape.earlyStopping!).core.shape!;
  const top = objectFields("", shape, ["optimizer", "schedule", "augmentation", "earlyStopping"]);
  return {
    main: top.filter((f) => f.path !== "normalization"),
    normalization: top.find((f) => f.path === "normalization")!,
    optimizer: variants("optimizer", shape.optimizer!),
    schedule: variants("schedule", shape.schedule!),
    augmentation: objectFields("augmentation", augmentation),
    earlyStopping: objectFields("earlyStopping", early),
  };
}

/** Reads a dotted path out of a (partial) config. */
export function configValue(config: unknown, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split(".")) {
    if (typeof node === "string" && key === "name") return node;
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
