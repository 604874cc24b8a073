import { type FieldInfo, fieldsOf, TrainingConfig, type TrainingConfigInput } from "@layerlab/spec";
import { InvalidArgumentError, Option } from "commander";

/*
 * The training-config schema is the one table of training settings
 * (STYLE.md pattern 9): every flag of `layerlab train` below is derived from
 * it by `fieldsOf` — name (kebab-case of the field path), value type, choices
 * and help text (the schema's description). Seed 003's short spellings are
 * added on top.
 */

/** How a flag's text becomes a value. */
export type FlagKind = "number" | "boolean" | "enum" | "numberList" | "variant";

/** One flag derived from a config field. */
export interface ConfigFlag {
  /** `--optimizer-momentum` without the dashes. */
  flag: string;
  /** Path in the config, e.g. ["optimizer", "momentum"]. */
  path: string[];
  kind: FlagKind;
  choices?: string[];
  description: string;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function collect(fields: FieldInfo[], out: Map<string, ConfigFlag>): void {
  for (const field of fields) {
    const { path } = field;
    const flag = path.map(kebab).join("-");
    const add = (f: Omit<ConfigFlag, "flag" | "path" | "description">) => {
      if (!out.has(flag)) out.set(flag, { flag, path, description: field.help || `Sets ${path.join(".")}.`, ...f });
    };
    switch (field.kind) {
      case "number":
      case "integer":
        add({ kind: "number" });
        break;
      case "boolean":
        add({ kind: "boolean" });
        break;
      case "enum":
        add({ kind: "enum", choices: field.options ?? [] });
        break;
      case "array":
        add({ kind: "numberList" });
        break;
      case "object":
        collect(field.fields ?? [], out);
        break;
      case "variant":
        // A discriminated union by `name` (optimizer, schedule): the flag picks the variant, sub-flags set its fields.
        add({ kind: "variant", choices: field.options ?? [] });
        for (const variantFields of Object.values(field.variants ?? {})) collect(variantFields, out);
        break;
      default:
        throw new Error(`config-flags: no flag rule for ${path.join(".")} (${field.kind})`);
    }
  }
}

/** Every config flag, in the schema's order. */
export function configFlags(): ConfigFlag[] {
  const out = new Map<string, ConfigFlag>();
  collect(fieldsOf(TrainingConfig), out);
  return [...out.values()];
}

/** Parses "30,45" into [30, 45]; throws naming the bad item. */
export function parseNumberList(text: string): number[] {
  const items = text.split(",").map((s) => s.trim());
  const values = items.map(Number);
  const bad = items.find((s, i) => s === "" || !Number.isFinite(values[i]));
  if (bad !== undefined) throw new Error(`'${text}' is not a comma-separated list of numbers (e.g. 30,45)`);
  return values;
}

/** Parses a number flag value; throws a message commander prints after the flag name. */
export function parseNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new Error(`'${text}' is not a number`);
  return value;
}

function valueName(f: ConfigFlag): string {
  return f.kind === "numberList"
    ? "<list>"
    : f.kind === "variant"
      ? "<name>"
      : f.kind === "enum"
        ? "<value>"
        : "<number>";
}

/** Commander options for every config flag. */
export function configOptions(flags = configFlags()): Option[] {
  return flags.map((f) => {
    const option = new Option(f.kind === "boolean" ? `--${f.flag}` : `--${f.flag} ${valueName(f)}`, f.description);
    if (f.choices) option.choices(f.choices);
    if (f.kind === "number") option.argParser(wrapParser(parseNumber));
    if (f.kind === "numberList") option.argParser(wrapParser(parseNumberList));
    return option;
  });
}

/** Seed 003's spellings of config fields. */
export function seedAliasOptions(): Option[] {
  return [
    new Option("--lr <number>", "Learning rate (same as --learning-rate).").argParser(wrapParser(parseNumber)),
    new Option("--l2 <number>", "L2 weight decay, e.g. 1e-4 (same as --weight-decay).").argParser(
      wrapParser(parseNumber),
    ),
    new Option(
      "--lr-decay <factor>",
      "Multiply the learning rate by this factor at --lr-decay-epochs (a step schedule).",
    ).argParser(wrapParser(parseNumber)),
    new Option("--lr-decay-epochs <list>", "Epochs after which --lr-decay applies, e.g. 30,45.").argParser(
      wrapParser(parseNumberList),
    ),
    new Option(
      "--val-split <fraction>",
      "Share of the training data held out for validation (same as --validation-split).",
    ).argParser(wrapParser(parseNumber)),
  ];
}

function wrapParser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      // commander turns this error into "option '--x <n>' argument 'y' is invalid. <message>"
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

type Mutable = Record<string, unknown>;

function asObject(value: unknown): Mutable {
  if (typeof value === "string") return { name: value };
  return typeof value === "object" && value !== null && !Array.isArray(value) ? { ...(value as Mutable) } : {};
}

/**
 * Applies parsed flag values (commander's camelCase keys) over a base config.
 * A variant flag (`--optimizer sgd`) that changes the variant drops the old
 * variant's fields; seed 003's aliases win over nothing and clash with their
 * long forms.
 */
export function applyConfigFlags(
  base: TrainingConfigInput,
  values: Record<string, unknown>,
  flags = configFlags(),
): TrainingConfigInput {
  const config = { ...(base as Mutable) };
  const attribute = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const setAt = (path: string[], value: unknown) => {
    let node = config;
    for (const key of path.slice(0, -1)) {
      node[key] = asObject(node[key]);
      node = node[key] as Mutable;
    }
    node[path.at(-1)!] = value;
  };
  // Variants first, so that their fields land on the chosen variant.
  for (const f of flags.filter((f) => f.kind === "variant")) {
    const value = values[attribute(f.flag)];
    if (value === undefined) continue;
    const current = asObject(config[f.path[0]!]);
    config[f.path[0]!] = current.name === value ? current : { name: value };
  }
  for (const f of flags.filter((f) => f.kind !== "variant")) {
    const value = values[attribute(f.flag)];
    if (value !== undefined) setAt(f.path, value);
  }
  const alias = (name: string, longFlag: string, path: string[]) => {
    const value = values[name];
    if (value === undefined) return;
    if (values[attribute(longFlag)] !== undefined) throw new Error(`give --${kebab(name)} or --${longFlag}, not both`);
    setAt(path, value);
  };
  alias("lr", "learning-rate", ["learningRate"]);
  alias("l2", "weight-decay", ["weightDecay"]);
  alias("valSplit", "validation-split", ["validationSplit"]);
  if (values.lrDecay !== undefined || values.lrDecayEpochs !== undefined) {
    const schedule = asObject(config.schedule);
    config.schedule = {
      ...(schedule.name === "step" ? schedule : {}),
      name: "step",
      ...(values.lrDecay !== undefined && { gamma: values.lrDecay }),
      ...(values.lrDecayEpochs !== undefined && { milestones: values.lrDecayEpochs }),
    };
  }
  return config as TrainingConfigInput;
}
