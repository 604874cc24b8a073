import { GRAPH_INPUT, isMerge, type Layer, layerGraph, layerLabel } from "@layerlab/spec";

/** Who takes whose output in the builder's layer list, read even while the list does not parse. */
export interface Wiring {
  /** `sources[i]`: the layers whose outputs layer i takes (−1: the model's input). */
  sources: number[][];
  /** True where layer i names its inputs (so they can be taken away one by one). */
  named: boolean[];
}

/** Only the fields the graph reads, each kept only when it has the right type (the builder's list is raw input). */
function wiringFields(layer: unknown): Layer | null {
  if (typeof layer !== "object" || layer === null) return null;
  const { kind, id, inputs } = layer as Record<string, unknown>;
  if (typeof kind !== "string") return null;
  const fields: Record<string, unknown> = { kind };
  if (typeof id === "string") fields.id = id;
  if (Array.isArray(inputs) && inputs.every((r) => typeof r === "string")) fields.inputs = inputs;
  return fields as unknown as Layer;
}

/** The wiring of a raw layer list; wrong edges are left out (the analysis names them). */
export function wiringOf(layers: readonly unknown[]): Wiring {
  const parsed = layers.map(wiringFields);
  return { sources: layerGraph(parsed).sources, named: parsed.map((l) => l?.inputs !== undefined) };
}

/** How the builder names a source: "input" or "conv2d #3". */
export function sourceLabel(layers: readonly unknown[], source: number): string {
  if (source === GRAPH_INPUT) return "input";
  const kind = (layers[source] as { kind?: unknown } | undefined)?.kind;
  return layerLabel(typeof kind === "string" ? kind : "layer", source);
}

/** True when layer i takes exactly the previous layer's output (the chain default, not worth a line). */
export function takesPrevious(wiring: Wiring, i: number): boolean {
  const s = wiring.sources[i];
  return s !== undefined && s.length === 1 && s[0] === i - 1;
}

/** True for add and concat in a raw list. */
export function isMergeAt(layers: readonly unknown[], i: number): boolean {
  const kind = (layers[i] as { kind?: unknown } | undefined)?.kind;
  return typeof kind === "string" && isMerge({ kind });
}
