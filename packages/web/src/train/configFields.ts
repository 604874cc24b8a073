import { EarlyStopping, type FieldInfo, fieldsOf, TrainingConfig } from "@layerlab/spec";

/** One input of the training form, read off the config schema by `fieldsOf` (help text, bounds, default). */
export interface ConfigField {
  /** Dotted path into the config, as `applyConfigEdit` takes it. */
  path: string;
  label: string;
  help: string;
  /** "epoch-list": a list of whole epoch numbers, typed comma-separated (the step schedule's milestones). */
  type: "number" | "integer" | "boolean" | "enum" | "epoch-list";
  min?: number;
  max?: number;
  /** True when `max` itself is not allowed (`lt`). */
  maxExclusive?: boolean;
  options?: string[];
  defaultValue: unknown;
  /** What learners usually pick, shown next to the input. */
  recommended?: string;
  /** For a switch of an optional group: the group's value when on (off is null). */
  onValue?: Record<string, unknown>;
}

const INPUT_TYPES = new Set<FieldInfo["kind"]>(["number", "integer", "boolean", "enum"]);

/** Whether a field is a list of whole numbers (epochs), typed as one comma-separated text. */
function isIntegerList(info: FieldInfo): boolean {
  return info.kind === "array" && info.items?.kind === "integer";
}

/** The form's view of one schema field; undefined for fields the form has no input for. */
function toConfigField(info: FieldInfo): ConfigField | undefined {
  const list = isIntegerList(info);
  if (!INPUT_TYPES.has(info.kind) && !list) return undefined;
  const bounds = list ? info.items! : info;
  const field: ConfigField = {
    path: info.path.join("."),
    label: info.label,
    help: info.help,
    type: list ? "epoch-list" : (info.kind as ConfigField["type"]),
    defaultValue: info.default,
  };
  if (bounds.min !== undefined) field.min = bounds.min;
  if (bounds.max !== undefined) field.max = bounds.max;
  if (bounds.maxExclusive) field.maxExclusive = true;
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
  /** The on/off switch of early stopping (the config's `earlyStopping` is null when off). */
  earlyStoppingSwitch: ConfigField;
  /** What early stopping watches and how long it waits, shown while it is on. */
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
    earlyStoppingSwitch: {
      path: "earlyStopping",
      label: "Stop early",
      help: byKey("earlyStopping").help,
      type: "boolean",
      defaultValue: false,
      onValue: EarlyStopping.parse({}),
    },
    earlyStopping: inputsOf(byKey("earlyStopping").fields ?? []),
  };
}

/** A list of epochs typed as text, read: the numbers, or a message that names the bad part and the fix. */
export type EpochListParse = { ok: true; epochs: number[] } | { ok: false; error: string };

/**
 * Reads "2, 4" (commas and/or spaces between whole numbers ≥ `min`) into [2, 4]; empty text is an empty list.
 * A trailing comma while typing is fine.
 */
export function parseEpochList(text: string, min = 1): EpochListParse {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== "");
  const epochs: number[] = [];
  for (const part of parts) {
    const n = Number(part);
    if (!/^\d+$/.test(part) || n < min) {
      return {
        ok: false,
        error: `"${part}" is not an epoch number: write whole numbers from ${min} up, separated by commas, e.g. 2, 4`,
      };
    }
    epochs.push(n);
  }
  return { ok: true, epochs };
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
