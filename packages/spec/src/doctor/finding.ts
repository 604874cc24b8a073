import type { SpecEdit } from "../edits";
import type { ConfigEdit } from "../validateConfig";
import type { NamedFix } from "./fixes";
import type { DoctorFinding } from "./types";

/** A finding whose suggestion starts with the fix's words ("Lower the learning rate from 0.1 to 0.01. …"). */
export function finding(
  base: Omit<DoctorFinding, "fix" | "suggestion">,
  suggestion: string,
  named?: NamedFix<SpecEdit | ConfigEdit> | null,
): DoctorFinding {
  if (!named) return { ...base, suggestion };
  const words = named.words.charAt(0).toUpperCase() + named.words.slice(1);
  return { ...base, suggestion: `${words}. ${suggestion}`, fix: named.fix };
}
