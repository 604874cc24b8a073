import type { LayerInput, ModelSpecInput } from "./model";

/**
 * A machine-applicable edit of a model spec, so the builder can offer
 * one-click fixes (and undo them: edits are plain data).
 */
export type SpecEdit =
  | { op: "insertLayer"; at: number; layer: LayerInput }
  | { op: "removeLayer"; at: number }
  /** `value: null` deletes the field (no layer field is nullable). */
  | { op: "setField"; layer: number; field: string; value: unknown }
  | { op: "setInputShape"; shape: number[] };

/**
 * Applies `edit` to `spec` and returns a new spec; `spec` is left untouched.
 * Works on specs that do not parse yet (the builder's state often does not);
 * an edit that does not fit (index out of range, no layer list) returns an
 * unchanged copy rather than throwing.
 */
export function applyEdit(spec: ModelSpecInput, edit: SpecEdit): ModelSpecInput {
  const layers: unknown[] = Array.isArray(spec?.layers) ? [...spec.layers] : [];
  switch (edit.op) {
    case "insertLayer": {
      const at = clampIndex(edit.at, layers.length);
      layers.splice(at, 0, { ...edit.layer });
      return { ...spec, layers: layers as LayerInput[] };
    }
    case "removeLayer": {
      if (!isIndex(edit.at, layers.length)) return { ...spec };
      layers.splice(edit.at, 1);
      return { ...spec, layers: layers as LayerInput[] };
    }
    case "setField": {
      const target = layers[edit.layer];
      if (!isIndex(edit.layer, layers.length) || typeof target !== "object" || target === null) return { ...spec };
      const changed: Record<string, unknown> = { ...(target as Record<string, unknown>) };
      if (edit.value === null) delete changed[edit.field];
      else changed[edit.field] = edit.value;
      layers[edit.layer] = changed;
      return { ...spec, layers: layers as LayerInput[] };
    }
    case "setInputShape":
      return { ...spec, input: { ...spec?.input, shape: [...edit.shape] } };
  }
}

function isIndex(i: number, length: number): boolean {
  return Number.isInteger(i) && i >= 0 && i < length;
}

function clampIndex(i: number, length: number): number {
  if (!Number.isFinite(i)) return length;
  return Math.max(0, Math.min(length, Math.trunc(i)));
}
