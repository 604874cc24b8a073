import {
  type ConnectEdit,
  connectLayers,
  type DisconnectEdit,
  disconnectLayers,
  removeLayerKeepingGraph,
} from "./graph-edits";
import type { LayerInput, LayerKind, ModelSpecInput } from "./model";

/**
 * A machine-applicable edit of a model spec, so the builder can offer
 * one-click fixes (and undo them: edits are plain data).
 */
export type SpecEdit =
  | { op: "insertLayer"; at: number; layer: LayerInput }
  /** Removes a layer; the layers that took its output take its (first) input instead. */
  | { op: "removeLayer"; at: number }
  /** Takes the layer at `from` out and puts it back so that it ends up at index `to`. */
  | { op: "moveLayer"; from: number; to: number }
  /** `value: null` deletes the field (no layer field is nullable). */
  | { op: "setField"; layer: number; field: string; value: unknown }
  | { op: "setInputShape"; shape: number[] }
  /** A skip connection or branch: layer `to` (or an add/concat put before it) also takes `from`'s output. */
  | ConnectEdit
  /** Takes one input away from a merge (or a layer that names its inputs). */
  | DisconnectEdit
  /** Several edits applied in order, as one (each sees the spec the previous one made). */
  | { op: "sequence"; edits: SpecEdit[] };

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
      return { ...spec, layers: removeLayerKeepingGraph(layers, edit.at) as LayerInput[] };
    }
    case "moveLayer": {
      if (!isIndex(edit.from, layers.length) || !isIndex(edit.to, layers.length)) return { ...spec };
      const [moved] = layers.splice(edit.from, 1);
      layers.splice(edit.to, 0, moved);
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
    case "connect":
    case "disconnect": {
      const changed = edit.op === "connect" ? connectLayers(layers, edit) : disconnectLayers(layers, edit);
      return changed === null ? { ...spec } : { ...spec, layers: changed as LayerInput[] };
    }
    case "sequence":
      return edit.edits.reduce(applyEdit, spec);
  }
}

function isIndex(i: number, length: number): boolean {
  return Number.isInteger(i) && i >= 0 && i < length;
}

function clampIndex(i: number, length: number): number {
  if (!Number.isFinite(i)) return length;
  return Math.max(0, Math.min(length, Math.trunc(i)));
}

/** Kinds that work on images and so belong before the layers that turn the image into a vector. */
const IMAGE_KINDS: ReadonlySet<string> = new Set(["conv2d", "maxPool2d", "avgPool2d"]);

/** Kinds that turn an image into a vector. */
const VECTOR_MAKERS: ReadonlySet<string> = new Set(["flatten", "globalAvgPool", "dense"]);

/** Kinds after the output dense that keep its size, so it is still the output layer. */
const SIZE_KEEPING: ReadonlySet<string> = new Set(["activation", "dropout", "batchNorm"]);

function kindAt(layers: readonly unknown[], i: number): string | undefined {
  const layer = layers[i];
  return typeof layer === "object" && layer !== null ? (layer as { kind?: string }).kind : undefined;
}

/**
 * Where the builder puts a new layer of `kind` added without a position: image layers (conv, pooling)
 * before the first flatten/globalAvgPool/dense; every other kind before the output dense (the last
 * dense, with only activation/dropout/batchNorm after it), so the model still ends in its logits;
 * at the end when there is no such layer.
 */
export function insertionIndex(spec: ModelSpecInput, kind: LayerKind): number {
  const layers: readonly unknown[] = Array.isArray(spec?.layers) ? spec.layers : [];
  if (IMAGE_KINDS.has(kind)) {
    const firstVector = layers.findIndex((_, i) => VECTOR_MAKERS.has(kindAt(layers, i) ?? ""));
    if (firstVector >= 0) return firstVector;
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    const k = kindAt(layers, i);
    if (k === "dense") return i;
    if (!SIZE_KEEPING.has(k ?? "")) break;
  }
  return layers.length;
}
