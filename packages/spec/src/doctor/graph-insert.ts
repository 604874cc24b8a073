import { analyzeSpec } from "../analyze";
import { applyEdit, type SpecEdit } from "../edits";
import { freeId, type LayerGraph, layerGraph } from "../graph";
import type { LayerInput, ModelSpec } from "../model";

/*
 * Where the doctor's fixes put a new layer in a graph. Inserting into the list alone is not enough there:
 * a layer that names its input by id would go round the new layer, and a layer placed before one with
 * `inputs` would take the wrong output.
 */

/**
 * Where layer `index`'s block ends: the batch norms and activations that, one after the other, alone take
 * its output (a dense layer's ReLU belongs to it). Returns the block's last layer.
 */
export function blockEnd(spec: ModelSpec, graph: LayerGraph, index: number): number {
  let at = index;
  for (;;) {
    const next = graph.consumers[at];
    if (next?.length !== 1 || next[0] !== at + 1 || graph.sources[at + 1]!.length !== 1) return at;
    const kind = spec.layers[at + 1]!.kind;
    if (kind !== "activation" && kind !== "batchNorm") return at;
    at += 1;
  }
}

/**
 * Puts `layer` right after layer `index`, between it and every layer that takes its output: layers that
 * name `index` by id are pointed at the new layer (which then gets an id of its own).
 */
export function insertAfter(spec: ModelSpec, index: number, layer: LayerInput): SpecEdit {
  const graph = layerGraph(spec.layers);
  const id = spec.layers[index]!.id;
  const naming = graph.consumers[index]!.filter((c) => spec.layers[c]!.inputs !== undefined);
  const insert: SpecEdit = { op: "insertLayer", at: index + 1, layer };
  if (id === undefined || naming.length === 0) return insert;
  const newId = freeId(spec.layers, `${id}_${layer.kind}`);
  return {
    op: "sequence",
    edits: [
      { ...insert, layer: { ...layer, id: newId } },
      // Every later layer moved one down.
      ...naming.map((c): SpecEdit => {
        const inputs = spec.layers[c]!.inputs!.map((ref) => (ref === id ? newId : ref));
        return { op: "setField", layer: c + 1, field: "inputs", value: inputs };
      }),
    ],
  };
}

/**
 * Puts `layer` right before layer `index`, on its input: the new layer takes what `index` took and `index`
 * takes the new layer. Null for a merge (it has several inputs: which one is meant?).
 */
export function insertBefore(spec: ModelSpec, index: number, layer: LayerInput): SpecEdit | null {
  const inputs = spec.layers[index]!.inputs;
  if (inputs === undefined) return { op: "insertLayer", at: index, layer };
  if (inputs.length !== 1) return null;
  return {
    op: "sequence",
    edits: [
      { op: "insertLayer", at: index, layer: { ...layer, inputs } },
      { op: "setField", layer: index + 1, field: "inputs", value: null },
    ],
  };
}

/**
 * True when `edit` leaves a spec that analyses without errors as it found it: a fix the doctor offers must
 * not break the model (widening a dense layer that feeds an add would, for one).
 */
export function keepsSpecValid(spec: ModelSpec, edit: SpecEdit): boolean {
  if (!analyzeSpec(spec).ok) return true; // the builder shows those errors; the fix is not to blame
  return analyzeSpec(applyEdit(spec, edit)).ok;
}
