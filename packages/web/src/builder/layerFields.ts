import { type FieldInfo, Layer, type LayerKind, variantsOf } from "@layerlab/spec";

/** One inline editor of a layer parameter, read off the layer's schema. */
export interface LayerField {
  name: string;
  type: "integer" | "number" | "boolean" | "enum" | "activation";
  options?: string[];
  min?: number;
  max?: number;
  optional: boolean;
  defaultValue: unknown;
}

/** The editor for one layer parameter; undefined for a parameter the row has no editor for. */
function toLayerField(info: FieldInfo): LayerField | undefined {
  const field: LayerField = { name: info.key, type: "number", optional: info.optional, defaultValue: info.default };
  if (info.kind === "number" || info.kind === "integer") {
    field.type = info.kind;
    if (info.min !== undefined) field.min = info.min;
    if (info.max !== undefined) field.max = info.max;
  } else if (info.kind === "boolean") field.type = "boolean";
  else if (info.kind === "enum") {
    field.type = "enum";
    field.options = info.options ?? [];
  } else if (info.kind === "union") {
    // An activation, written as a name or as {fn, alpha}: the row picks the name.
    field.type = "activation";
    field.options = info.options ?? [];
  } else return undefined;
  return field;
}

/** The editable fields of every layer kind, from the spec's layer schemas. */
export const LAYER_FIELDS = Object.fromEntries(
  Object.entries(variantsOf(Layer)).map(([kind, fields]) => [kind, fields.flatMap((f) => toLayerField(f) ?? [])]),
) as Record<LayerKind, LayerField[]>;

/** Parses what a user typed into a field's value; undefined means "not a valid entry yet". */
export function parseFieldInput(field: LayerField, text: string): unknown {
  if (field.type === "integer" || field.type === "number") {
    if (text.trim() === "") return field.optional ? null : undefined;
    const n = Number(text);
    if (!Number.isFinite(n)) return undefined;
    return n;
  }
  if (field.type === "activation") return text === "" ? null : text;
  return text;
}
