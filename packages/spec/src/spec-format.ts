import { MODEL_FORMAT, MODEL_FORMAT_V1 } from "./model";

/**
 * A raw spec with its format tag brought up to date, for code that keeps specs as they were written (share
 * links, stored runs): a `/1` spec is a chain, which `/2` reads the same, so only the tag changes. Anything
 * else (another tag, a spec that does not parse) comes back untouched, for the analysis to name what is wrong.
 */
export function upgradeSpecFormat<T>(spec: T): T {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return spec;
  if ((spec as { format?: unknown }).format !== MODEL_FORMAT_V1) return spec;
  return { ...spec, format: MODEL_FORMAT };
}
