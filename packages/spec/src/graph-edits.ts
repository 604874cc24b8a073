import { freeId, isMerge } from "./graph";
import { MODEL_INPUT_ID } from "./model";

/*
 * Edits that change the wiring of a model's graph: connect one layer's output to a later layer (a skip
 * connection or a branch), take such an edge away, and remove a layer without leaving its readers dangling.
 * They work on the builder's raw layer list (which may not parse yet) and name layers by index, as the
 * builder does; ids are given to layers only where an edge has to name them.
 */

/** A merge a connection can make. */
export type MergeKind = "add" | "concat";

/** Connects the output of layer `from` (−1: the model's input) to the later layer `to`. */
export interface ConnectEdit {
  op: "connect";
  from: number;
  to: number;
  /** The merge put before `to` when `to` is not a merge itself; `add` when left out. */
  merge?: MergeKind;
}

/** Takes the output of layer `from` (−1: the model's input) out of the inputs of layer `to`. */
export interface DisconnectEdit {
  op: "disconnect";
  from: number;
  to: number;
}

type RawLayer = Record<string, unknown>;

function layerAt(layers: readonly unknown[], i: number): RawLayer | null {
  const layer = layers[i];
  return typeof layer === "object" && layer !== null ? (layer as RawLayer) : null;
}

/** The layer's `inputs` when it names them, undefined when it takes the previous layer's output. */
function namedInputs(layer: RawLayer | null): string[] | undefined {
  const inputs = layer?.inputs;
  return Array.isArray(inputs) && inputs.every((r) => typeof r === "string") ? [...inputs] : undefined;
}

function idOf(layer: RawLayer | null): string | undefined {
  return typeof layer?.id === "string" ? layer.id : undefined;
}

/**
 * The name other layers use for the output of layer `i` (−1: the model's input). A layer without an id gets
 * one, made from its kind and its 1-based position as the builder labels it (`conv2d_3` for `conv2d #3`).
 */
function refOf(layers: unknown[], i: number): string {
  if (i < 0) return MODEL_INPUT_ID;
  const layer = layerAt(layers, i) ?? {};
  const id = idOf(layer);
  if (id !== undefined) return id;
  const fresh = freeId(layers, `${String(layer.kind ?? "layer")}_${i + 1}`);
  layers[i] = { ...layer, id: fresh };
  return fresh;
}

/** The name of the first input of layer `i`: its first named input, else the previous layer's output. */
function firstInputRef(layers: unknown[], i: number): string {
  return namedInputs(layerAt(layers, i))?.[0] ?? refOf(layers, i - 1);
}

/** True when `ref` names the output of layer `i` (−1: the model's input) in this list. */
function names(layers: readonly unknown[], ref: string, i: number): boolean {
  return i < 0 ? ref === MODEL_INPUT_ID : idOf(layerAt(layers, i)) === ref;
}

function isIndex(i: number, length: number): boolean {
  return Number.isInteger(i) && i >= 0 && i < length;
}

/**
 * `layers` with layer `to` also taking layer `from`'s output. A merge gets it as one more input; any other
 * layer gets an add (or concat) just before it that joins its current input with `from`'s output, so the
 * edge is a skip connection around the layers between them. Null when the edge cannot be made: `from` is
 * not before `to`, or `to` already takes `from`'s output.
 */
export function connectLayers(layers: readonly unknown[], edit: ConnectEdit): unknown[] | null {
  const { from, to } = edit;
  if (!isIndex(to, layers.length) || !Number.isInteger(from) || from < -1 || from >= to) return null;
  const next = [...layers];
  const target = layerAt(next, to);
  if (target === null) return null;
  if (isMerge(target as { kind: string })) {
    const current = namedInputs(target) ?? [refOf(next, to - 1)];
    const source = refOf(next, from);
    if (current.includes(source)) return null;
    next[to] = { ...layerAt(next, to), inputs: [...current, source] };
    return next;
  }
  const current = firstInputRef(next, to);
  const source = refOf(next, from);
  if (current === source) return null;
  // The target now takes the merge right before it, which needs no name.
  const { inputs: _taken, ...rest } = layerAt(next, to)!;
  next.splice(to, 1, { kind: edit.merge ?? "add", inputs: [current, source] }, rest);
  return next;
}

/**
 * `layers` without the edge from layer `from` into layer `to`. A merge left with one input has nothing to
 * join, so it is removed and its readers take that input; a plain layer left with no named input takes the
 * previous layer's output again. Null when `to` does not name `from` among its inputs.
 */
export function disconnectLayers(layers: readonly unknown[], edit: DisconnectEdit): unknown[] | null {
  const { from, to } = edit;
  if (!isIndex(to, layers.length) || !Number.isInteger(from) || from < -1 || from >= layers.length) return null;
  const target = layerAt(layers, to);
  const inputs = namedInputs(target);
  const at = inputs?.findIndex((ref) => names(layers, ref, from)) ?? -1;
  if (target === null || inputs === undefined || at < 0) return null;
  const left = inputs.filter((_, k) => k !== at);
  const next = [...layers];
  if (isMerge(target as { kind: string }) && left.length < 2) {
    if (left.length === 0) return removeLayerKeepingGraph(next, to);
    next[to] = { ...target, inputs: left };
    return removeLayerKeepingGraph(next, to);
  }
  if (left.length > 0) next[to] = { ...target, inputs: left };
  else {
    const { inputs: _gone, ...rest } = target;
    next[to] = rest;
  }
  return next;
}

/**
 * `layers` without layer `at`, with the graph kept whole: layers that named it take its first input instead,
 * and the layer after it, if it took the removed layer's output by default, keeps taking what the removed
 * layer took. A merge that is left joining one tensor is removed the same way.
 */
export function removeLayerKeepingGraph(layers: readonly unknown[], at: number): unknown[] {
  if (!isIndex(at, layers.length)) return [...layers];
  const next = [...layers];
  const removed = layerAt(next, at);
  const removedId = idOf(removed);
  const named = namedInputs(removed);
  const readers = next.flatMap((layer, k) =>
    k > at && removedId !== undefined && namedInputs(layer as RawLayer)?.includes(removedId) ? [k] : [],
  );
  // The removed layer's first input, by name; a name is made only when a reader has to use it.
  const firstNamed = named?.[0];
  const source = firstNamed ?? (readers.length > 0 ? refOf(next, at - 1) : undefined);
  const follower = layerAt(next, at + 1);
  if (follower !== null && namedInputs(follower) === undefined && firstNamed !== undefined) {
    // By default the follower will take layer at−1's output; it keeps the removed layer's input instead.
    if (!names(next, firstNamed, at - 1)) next[at + 1] = { ...follower, inputs: [firstNamed] };
  }
  const collapsed: number[] = [];
  for (const k of readers) {
    const reader = layerAt(next, k)!;
    const rewired = [...new Set(namedInputs(reader)!.map((ref) => (ref === removedId ? source! : ref)))];
    next[k] = { ...reader, inputs: rewired };
    if (isMerge(reader as { kind: string }) && rewired.length < 2) collapsed.push(k);
  }
  next.splice(at, 1);
  // Layers after `at` moved up by one; collapse from the last so earlier indices stay right.
  return collapsed.reverse().reduce((list, k) => removeLayerKeepingGraph(list, k - 1), next);
}
