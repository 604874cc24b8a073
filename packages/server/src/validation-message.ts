/** One validation issue as Fastify attaches it to a 400 (fastify-type-provider-zod maps zod's issues onto ajv's shape). */
interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** The unknown field names of an issue (zod's `unrecognized_keys` lists them all; every route's schema is zod). */
function unknownFields(issue: ValidationIssue): string[] {
  if (issue.keyword === "unrecognized_keys" && Array.isArray(issue.params.keys)) return issue.params.keys.map(String);
  return [];
}

/** `/tags/3` as `tags[3]`, the way a client writes the field. */
function fieldPath(instancePath: string): string {
  return instancePath
    .split("/")
    .filter(Boolean)
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join("");
}

/**
 * Fastify's validation error in words a client can act on: an unknown field is
 * named with where to find the fields that are allowed, other problems name the
 * field and say what it must be.
 */
export function validationMessage(err: { message: string; validation?: unknown; validationContext?: string }): string {
  const issues = (err.validation ?? []) as ValidationIssue[];
  const where = err.validationContext ?? "body";
  const unknown = issues.filter((i) => unknownFields(i).length > 0);
  if (unknown.length > 0) {
    const fields = unknown.flatMap(unknownFields);
    const names = fields.map((f) => `"${f}"`).join(", ");
    const path = fieldPath(unknown[0]!.instancePath);
    const at = path ? ` at ${path}` : "";
    return `unknown field${fields.length > 1 ? "s" : ""} ${names} in the ${where}${at}; remove ${fields.length > 1 ? "them" : "it"} (see /api/docs for the fields this route takes)`;
  }
  const first = issues[0];
  if (!first?.message) return err.message;
  const path = fieldPath(first.instancePath);
  return `${where}${path ? ` field ${path}` : ""}: ${first.message}`;
}
