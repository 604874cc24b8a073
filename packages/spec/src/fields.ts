import { z } from "zod";

/*
 * The one reader of schema field metadata. The CLI flags, the training form
 * and the layer editor all come from here, and here reads only zod's public
 * JSON Schema output: a field's `.describe()`/`.meta()` text, default, bounds
 * and choices as `z.toJSONSchema` states them. `.meta({ title })` names a
 * field for people; `.meta({ recommended })` is the range learners usually pick.
 */

/** What a field holds, as far as an input or a flag needs to know. */
export type FieldKind =
  | "number"
  | "integer"
  | "boolean"
  | "string"
  | "enum"
  | "literal"
  | "array"
  | "object"
  /** A discriminated union of objects (optimizer, schedule, layer): pick a variant, then its fields. */
  | "variant"
  /** Any other union, e.g. an activation written as a name or as `{fn, alpha}`. */
  | "union"
  | "unknown";

/** One field of a schema, read off its JSON Schema. */
export interface FieldInfo {
  /** The property name. */
  key: string;
  /** Property names from the walked schema's root down to this field. */
  path: string[];
  kind: FieldKind;
  /** `.meta({ title })`, else the key in words ("warmupEpochs" → "Warmup Epochs"). */
  label: string;
  /** The field's description; "" when it has none. */
  help: string;
  /** `.meta({ recommended })`: what learners usually pick. */
  recommended?: string;
  /** True when the schema fills in a value if the field is left out. */
  hasDefault: boolean;
  default?: unknown;
  /** True when the field may be left out (optional or defaulted). */
  optional: boolean;
  /** True when null is accepted. */
  nullable: boolean;
  min?: number;
  /** True when `min` itself is not allowed (`gt`, `positive`). */
  minExclusive?: boolean;
  max?: number;
  /** True when `max` itself is not allowed (`lt`). */
  maxExclusive?: boolean;
  /** Allowed values of an enum; the variant names of a variant; the named choices of a union. */
  options?: string[];
  /** The one value a literal allows. */
  value?: unknown;
  /** The element of an array. */
  items?: FieldInfo;
  /** The fields of an object. */
  fields?: FieldInfo[];
  /** The property whose literal value picks a variant ("name", "kind"). */
  discriminator?: string;
  /** Each variant's fields, by its discriminator value, the discriminator itself left out. */
  variants?: Record<string, FieldInfo[]>;
}

/** The subset of JSON Schema that `z.toJSONSchema` writes for the shapes our schemas use. */
interface JsonNode {
  type?: string | string[];
  title?: string;
  description?: string;
  recommended?: unknown;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonNode>;
  required?: string[];
  items?: JsonNode;
  oneOf?: JsonNode[];
  anyOf?: JsonNode[];
  $ref?: string;
  $defs?: Record<string, JsonNode>;
}

/** `z.number().int()` carries the safe-integer range; that is the type, not a bound worth showing. */
const SAFE_INT = Number.MAX_SAFE_INTEGER;

/** The key in words: "minLearningRate" → "Min Learning Rate". */
function words(key: string): string {
  return key.replace(/([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase());
}

/** Follows `$ref`s into the root's `$defs` (schemas registered with an id land there). */
function resolve(node: JsonNode, root: JsonNode): JsonNode {
  let current = node;
  const seen = new Set<string>();
  while (current.$ref && !seen.has(current.$ref)) {
    seen.add(current.$ref);
    const ref = current.$ref;
    const target = ref === "#" ? root : root.$defs?.[ref.replace(/^#\/\$defs\//, "")];
    if (!target) break;
    const { $ref: _ref, ...own } = current;
    current = { ...target, ...own };
  }
  return current;
}

/** Splits `anyOf: [X, {type: "null"}]` into X (keeping the outer text and default) and a nullable flag. */
function stripNull(node: JsonNode): { node: JsonNode; nullable: boolean } {
  const members = node.anyOf;
  if (!members?.some((m) => m.type === "null")) return { node, nullable: false };
  const rest = members.filter((m) => m.type !== "null");
  const { anyOf: _anyOf, ...outer } = node;
  if (rest.length === 1) return { node: { ...rest[0], ...outer }, nullable: true };
  return { node: { ...outer, anyOf: rest }, nullable: true };
}

/** The property that every member fixes to a literal, if there is one (a discriminated union). */
function discriminatorOf(members: JsonNode[], root: JsonNode): string | undefined {
  const objects = members.map((m) => resolve(m, root));
  if (!objects.every((o) => o.properties)) return undefined;
  const keys = Object.keys(objects[0]!.properties!);
  return keys.find((key) => objects.every((o) => o.properties![key] && "const" in resolve(o.properties![key], root)));
}

function numberBounds(field: FieldInfo, node: JsonNode): void {
  const low = node.exclusiveMinimum ?? node.minimum;
  const high = node.exclusiveMaximum ?? node.maximum;
  const isInt = field.kind === "integer";
  if (low !== undefined && !(isInt && low <= -SAFE_INT)) {
    field.min = low;
    if (node.exclusiveMinimum !== undefined) field.minExclusive = true;
  }
  if (high !== undefined && !(isInt && high >= SAFE_INT)) {
    field.max = high;
    if (node.exclusiveMaximum !== undefined) field.maxExclusive = true;
  }
}

function fieldOf(key: string, path: string[], raw: JsonNode, required: boolean, root: JsonNode): FieldInfo {
  const { node, nullable } = stripNull(resolve(raw, root));
  const hasDefault = "default" in node;
  const field: FieldInfo = {
    key,
    path,
    kind: "unknown",
    label: node.title ?? words(key),
    help: node.description ?? "",
    hasDefault,
    optional: !required || hasDefault,
    nullable,
  };
  if (hasDefault) field.default = node.default;
  if (typeof node.recommended === "string") field.recommended = node.recommended;
  const members = node.oneOf ?? node.anyOf;
  if (members) {
    const discriminator = discriminatorOf(members, root);
    if (discriminator) {
      field.kind = "variant";
      field.discriminator = discriminator;
      field.variants = {};
      for (const member of members) {
        const object = resolve(member, root);
        const name = String(resolve(object.properties![discriminator]!, root).const);
        field.variants[name] = propertiesOf(object, path, root).filter((f) => f.key !== discriminator);
      }
      field.options = Object.keys(field.variants);
    } else {
      field.kind = "union";
      const named = members.map((m) => resolve(m, root)).flatMap((m) => m.enum ?? ("const" in m ? [m.const] : []));
      field.options = named.filter((v): v is string => typeof v === "string");
    }
  } else if (node.enum) {
    field.kind = "enum";
    field.options = node.enum.map(String);
  } else if ("const" in node) {
    field.kind = "literal";
    field.value = node.const;
  } else if (node.type === "number" || node.type === "integer") {
    field.kind = node.type;
    numberBounds(field, node);
  } else if (node.type === "boolean" || node.type === "string") {
    field.kind = node.type;
  } else if (node.type === "array") {
    field.kind = "array";
    if (node.items) field.items = fieldOf(key, path, node.items, true, root);
  } else if (node.type === "object" || node.properties) {
    field.kind = "object";
    field.fields = propertiesOf(node, path, root);
  }
  return field;
}

function propertiesOf(node: JsonNode, prefix: string[], root: JsonNode): FieldInfo[] {
  const required = new Set(node.required ?? []);
  return Object.entries(node.properties ?? {}).map(([key, child]) =>
    fieldOf(key, [...prefix, key], child, required.has(key), root),
  );
}

/** The whole schema as one field (key ""), walked from its JSON Schema. */
export function schemaField(schema: z.ZodType): FieldInfo {
  // The output side: on the input side zod drops the default of a preprocessed field (optimizer, schedule).
  // `optional` still comes out right, as a field may be left out when it is not required or has a default.
  const root = z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) as JsonNode;
  return fieldOf("", [], root, true, root);
}

/** The fields of an object schema, in its order; nested objects and variants carry their own fields. */
export function fieldsOf(schema: z.ZodType): FieldInfo[] {
  return schemaField(schema).fields ?? [];
}

/** The variants of a discriminated union schema (e.g. `Layer`): each one's fields by its discriminator value. */
export function variantsOf(schema: z.ZodType): Record<string, FieldInfo[]> {
  const root = schemaField(schema);
  if (root.kind !== "variant") throw new Error("variantsOf: the schema is not a discriminated union of objects");
  return root.variants!;
}
