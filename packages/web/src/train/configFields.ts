import { type FieldInfo, fieldsOf, TrainingConfig } from "@layerlab/spec";

/** One input of the training form, read off the config schema by `fieldsOf` (help text, bounds, default). */
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

const INPUT_TYPES = new Set<FieldInfo["kind"]>(["number", "integer", "boolean", "enum"]);

/** The form's view of one schema field; undefined for fields the form has no input for (milestone lists). */
function toConfigField(info: FieldInfo): ConfigField | undefined {
  if (!INPUT_TYPES.has(info.kind)) return undefined;
  const field: ConfigField = {
    path: info.path.join("."),
    label: info.label,
    help: info.help,
    type: info.kind as ConfigField["type"],
    defaultValue: info.default,
  };
  if (info.min !== undefined) field.min = info.min;
  if (info.max !== undefined) field.max = info.max;
  if (info.maxExclusive) field.maxExclusive = true;
  if (info.options) field.options = info.options;
  if (info.recommended) field.recommended = info.recommended;
  return field;
}

function inputsOf(fields: FieldInfo[]): ConfigField[] {
  return fields.flatMap((f) => toConfigField(f) ?? []);
}

/** A variant field (optimizer, schedule): a select of its names, and each variant's own fields. */
function variants(info: FieldInfo): { field: ConfigField; byName: Record<string, ConfigField[]> } {
  const byName = Object.fromEntries(
    Object.entries(info.variants ?? {}).map(([name, fields]) => [name, inputsOf(fields)]),
  );
  const field: ConfigField = {
    path: `${info.path.join(".")}.${info.discriminator}`,
    label: info.label,
    help: info.help,
    type: "enum",
    options: info.options ?? [],
    defaultValue: (info.default as Record<string, unknown> | undefined)?.[info.discriminator ?? ""],
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
  const fields = fieldsOf(TrainingConfig);
  const byKey = (key: string) => fields.find((f) => f.key === key)!;
  const top = inputsOf(fields);
  return {
    main: top.filter((f) => f.path !== "normalization"),
    normalization: top.find((f) => f.path === "normalization")!,
    optimizer: variants(byKey("optimizer")),
    schedule: variants(byKey("schedule")),
    augmentation: inputsOf(byKey("augmentation").fields ?? []),
    earlyStopping: inputsOf(byKey("earlyStopping").fields ?? []),
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
