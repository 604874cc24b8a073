import type { z } from "zod";
import type { Finding } from "./problems";

/*
 * Turns zod's issues into findings a learner can act on: the field named as
 * they wrote it, what is wrong with the value they gave, and the fix.
 */

type Path = readonly PropertyKey[];

/** `schedule.milestones[0]`: a path as the user would write it. */
export function formatPath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * The value at `path` in `root`. A bare name given for a `{name}`/`{kind}`
 * object (`"optimizer": "adamm"`) stands for that field.
 */
export function valueAt(root: unknown, path: Path): unknown {
  let here: unknown = root;
  for (const key of path) {
    if (typeof here === "string" && (key === "name" || key === "kind")) return here;
    if (typeof here !== "object" || here === null) return undefined;
    here = (here as Record<PropertyKey, unknown>)[key];
  }
  return here;
}

/** A short, safe rendering of a user value for a message. */
export function showValue(value: unknown): string {
  if (typeof value === "string") return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}

const EXPECTED_TEXT: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  boolean: "true or false",
  string: "a text",
  array: "a list",
  object: "an object",
};

const quoteAll = (values: readonly unknown[]) => values.map((v) => (typeof v === "string" ? `'${v}'` : String(v)));

/** The allowed values an issue names, looking inside unions (an activation is a name or an object). */
function allowedValues(issue: z.core.$ZodIssue): readonly unknown[] | null {
  if (issue.code === "invalid_value") return issue.values;
  if (issue.code === "invalid_union") {
    if ("options" in issue && Array.isArray(issue.options)) return issue.options as unknown[];
    for (const branch of issue.errors) {
      for (const inner of branch) {
        const found = allowedValues(inner);
        if (found) return found;
      }
    }
  }
  return null;
}

/**
 * Says what is wrong with the value at the issue's path and how to fix it.
 * `label` prefixes the message (`"conv2d #3: "`) and `field` names the field.
 */
export function describeIssue(
  issue: z.core.$ZodIssue,
  value: unknown,
  field: string,
  label: string,
): Pick<Finding<never>, "what" | "fix"> {
  const name = field === "" ? "the value" : field;
  switch (issue.code) {
    case "invalid_type": {
      const expected = EXPECTED_TEXT[issue.expected] ?? issue.expected;
      if (value === undefined) return { what: `${label}${name} is missing`, fix: `set ${name} to ${expected}` };
      return {
        what: `${label}${name} must be ${expected}, not ${showValue(value)}`,
        fix: `set ${name} to ${expected}`,
      };
    }
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "array") {
        const have = Array.isArray(value) ? value.length : 0;
        return {
          what: `${label}${name} has ${have} item${have === 1 ? "" : "s"} but needs at least ${min}`,
          fix: `add ${min - have} more to ${name}`,
        };
      }
      if (issue.origin === "string") return { what: `${label}${name} is empty`, fix: `give ${name} a value` };
      const bound = issue.inclusive ? `at least ${min}` : `more than ${min}`;
      return { what: `${label}${name} is ${showValue(value)} but must be ${bound}`, fix: `set ${name} to ${bound}` };
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "array") {
        const have = Array.isArray(value) ? value.length : 0;
        return {
          what: `${label}${name} has ${have} items but allows at most ${max}`,
          fix: `remove ${have - max} from ${name}`,
        };
      }
      if (issue.origin === "string") return { what: `${label}${name} is too long`, fix: `shorten ${name} to ${max}` };
      const bound = issue.inclusive ? `at most ${max}` : `less than ${max}`;
      return { what: `${label}${name} is ${showValue(value)} but must be ${bound}`, fix: `set ${name} to ${bound}` };
    }
    case "invalid_value":
    case "invalid_union": {
      const allowed = allowedValues(issue);
      if (!allowed) break;
      const list = quoteAll(allowed).join(", ");
      if (value === undefined) return { what: `${label}${name} is missing`, fix: `set ${name} to one of ${list}` };
      return { what: `${label}${name} ${showValue(value)} is not allowed`, fix: `use one of ${list}` };
    }
    case "unrecognized_keys": {
      const keys = quoteAll(issue.keys).join(", ");
      const where = field === "" ? "" : ` in ${field}`;
      return {
        what: `${label}unknown field${issue.keys.length === 1 ? "" : "s"} ${keys}${where}`,
        fix: `remove ${keys}`,
      };
    }
    case "not_multiple_of":
      return {
        what: `${label}${name} must be a multiple of ${String(issue.divisor)}`,
        fix: `round ${name} to a multiple of ${String(issue.divisor)}`,
      };
  }
  return { what: `${label}${name}: ${issue.message}`, fix: `correct ${name}` };
}

/**
 * Drops issues that only repeat another: zod goes on checking a value after
 * finding it has the wrong type (a string `classes` also gets "too short").
 */
export function withoutEchoes(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const wrongType = new Set(issues.filter((i) => i.code === "invalid_type").map((i) => formatPath(i.path)));
  return issues.filter((i) => i.code === "invalid_type" || !wrongType.has(formatPath(i.path)));
}
