/** Flattens nested objects to dotted paths (`optimizer.name`), arrays kept as JSON. */
export function flatten(value: unknown, prefix = "", out: Record<string, string> = {}): Record<string, string> {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/** The rows where setups differ: path → one value per setup ("—" where a setup lacks it). */
export function diffSetups(setups: readonly unknown[]): { path: string; values: string[] }[] {
  const flat = setups.map((s) => flatten(s));
  const paths = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  return paths
    .map((path) => ({ path, values: flat.map((f) => f[path] ?? "—") }))
    .filter((row) => new Set(row.values).size > 1);
}
