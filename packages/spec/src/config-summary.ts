/*
 * A training config in a person's words, one row per setting: the optimizer,
 * schedule, early stopping and augmentation each on one line with their own
 * settings ("adam · beta1 0.9 · beta2 0.999"), not twenty dotted rows or JSON.
 * The run page and the HTML report show the same rows.
 */

/** A value as a person reads it: unset is "off", lists are comma-separated. */
function valueText(value: unknown): string {
  if (value === null || value === undefined) return "off";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(", ");
  return String(value);
}

/** A nested setting on one line: its name first, then each field; an augmentation with nothing on is "none". */
function groupText(group: Record<string, unknown>): string {
  const { name, ...rest } = group;
  const fields = Object.entries(rest).filter(([, v]) => v !== undefined);
  // Augmentation has no name: only the transforms that are on say anything.
  if (name === undefined) {
    const on = fields.filter(([, v]) => v !== 0 && v !== false && v !== null);
    return on.length === 0 ? "none" : on.map(([k, v]) => (v === true ? k : `${k} ${valueText(v)}`)).join(" · ");
  }
  return [String(name), ...fields.map(([k, v]) => `${k} ${valueText(v)}`)].join(" · ");
}

/** `config` as [setting, value] rows in its own field order. */
export function configSummary(config: Record<string, unknown>): [string, string][] {
  return Object.entries(config)
    .filter(([, v]) => v !== undefined)
    .map(([key, v]) => [
      key,
      v !== null && typeof v === "object" && !Array.isArray(v) ? groupText(v as Record<string, unknown>) : valueText(v),
    ]);
}
