import { ACTIVATION_NAMES, Layer, type LayerKind } from "@layerlab/spec";
import { type Schema, unwrap } from "../train/configFields";

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

function fieldsOf(shape: Record<string, Schema>): LayerField[] {
  const out: LayerField[] = [];
  for (const [name, child] of Object.entries(shape)) {
    if (name === "kind") continue;
    const optional = child._zod.def.type === "optional" || child._zod.def.type === "default";
    const { core, defaultValue } = unwrap(child);
    const t = core._zod.def.type;
    const field: LayerField = { name, type: "number", optional, defaultValue };
    if (t === "number") {
      field.type = core.isInt ? "integer" : "number";
      if (core.minValue != null && Number.isFinite(core.minValue)) field.min = core.minValue;
      if (core.maxValue != null && Number.isFinite(core.maxValue)) field.max = core.maxValue;
    } else if (t === "boolean") field.type = "boolean";
    else if (t === "enum") {
      field.type = "enum";
      field.options = Object.values(core._zod.def.entries ?? {});
    } else if (t === "union") {
      field.type = "activation";
      field.options = [...ACTIVATION_NAMES];
    } else continue;
    out.push(field);
  }
  return out;
}

/** The editable fields of every layer kind, from the spec's layer schemas. */
export const LAYER_FIELDS: Record<LayerKind, LayerField[]> = Object.fromEntries(
  Layer.options.map((o) => [o.shape.kind.value, fieldsOf((o as unknown as Schema).shape!)]),
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
