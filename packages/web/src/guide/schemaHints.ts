import { type FieldInfo, fieldsOf, OPTIMIZER_LEARNING_RATES, TrainingConfig } from "@layerlab/spec";

/*
 * The numbers the glossary quotes, read from where the studio already keeps
 * them: the training config's schema (its `recommended` ranges and help
 * texts) and the doctor's usual learning rates per optimizer. The glossary
 * never restates a number by hand that one of these holds.
 */

/** Every field of the training config, nested and per-variant fields included, by dotted path (first one wins). */
const CONFIG_FIELDS: ReadonlyMap<string, FieldInfo> = (() => {
  const byPath = new Map<string, FieldInfo>();
  const walk = (info: FieldInfo) => {
    const path = info.path.join(".");
    if (!byPath.has(path)) byPath.set(path, info);
    for (const child of info.fields ?? []) walk(child);
    for (const fields of Object.values(info.variants ?? {})) for (const child of fields) walk(child);
  };
  for (const info of fieldsOf(TrainingConfig)) walk(info);
  return byPath;
})();

/**
 * The config field at `path` — in the variant named `variant` of its parent
 * (the exponential schedule's gamma) when given; throws when the schema has
 * none, so a renamed field fails the glossary's test instead of vanishing.
 */
export function configField(path: string, variant?: string): FieldInfo {
  const info = variant ? variantField(path, variant) : CONFIG_FIELDS.get(path);
  if (!info) throw new Error(`the training config has no field "${path}"${variant ? ` in "${variant}"` : ""}`);
  return info;
}

function variantField(path: string, variant: string): FieldInfo | undefined {
  const keys = path.split(".");
  const parent = CONFIG_FIELDS.get(keys.slice(0, -1).join("."));
  return parent?.variants?.[variant]?.find((f) => f.key === keys.at(-1));
}

/** Every dotted path of the training config, for checking that each control has a glossary entry. */
export function configFieldPaths(): string[] {
  return [...CONFIG_FIELDS.keys()];
}

/** What learners usually pick for the config field at `path`, as the schema says it. */
export function recommendedFor(path: string): string {
  const info = configField(path);
  if (!info.recommended) throw new Error(`the config field "${path}" has no recommended range`);
  return info.recommended;
}

/** The schema's help text of the config field at `path` (in `variant`, when given). */
export function helpFor(path: string, variant?: string): string {
  return configField(path, variant).help;
}

/** The doctor's usual learning rate of one optimizer, in words: "about 1e-3 (1e-4–3e-3)". */
export function usualLearningRate(optimizer: keyof typeof OPTIMIZER_LEARNING_RATES): string {
  return OPTIMIZER_LEARNING_RATES[optimizer].usual;
}

/** The doctor's usual learning rates of all optimizers, optimizers that share a range named together. */
export function usualLearningRates(): string {
  const groups = new Map<string, string[]>();
  for (const rates of Object.values(OPTIMIZER_LEARNING_RATES)) {
    groups.set(rates.usual, [...(groups.get(rates.usual) ?? []), rates.label]);
  }
  return [...groups].map(([usual, labels]) => `${labels.join(", ")}: ${usual}`).join("; ");
}
