import { type Layer, type LayerOf, Layer as LayerSchema, layerGraph, normalizeActivation } from "@layerlab/spec";

/*
 * Which layers the native conv stack trains, decided from the spec alone (no jax-js), so that a process can
 * choose its threads before jax-js loads: the model's leading chain of conv2d layers with a relu or no
 * activation, each optionally followed by a non-overlapping max pool, then, after a flatten, the dense layers
 * with a relu or no activation that follow it but the model's last layer, as long as the rest of the model
 * reads nothing inside the chain but its output. A dense layer on a flattened [C, H, W] is a convolution whose
 * kernel covers the whole image (its weight [units, C·H·W] is a conv weight [units, C, H, W]), so the stack
 * runs both kinds as the same stage.
 */

/** A conv or dense layer and the max pool that follows a conv, if any, by index. */
export interface StackedLayers {
  stages: { layer: number; pool: number | null }[];
  /** The first layer the stack does not run. */
  head: number;
}

function activationIsRelu(layer: LayerOf<"conv2d"> | LayerOf<"dense">): boolean | null {
  if (layer.activation === undefined) return false;
  return normalizeActivation(layer.activation).fn === "relu" ? true : null;
}

function isPlainMaxPool(layer: Layer | undefined): layer is LayerOf<"maxPool2d"> {
  return layer?.kind === "maxPool2d" && (layer.stride ?? layer.size) === layer.size;
}

/** Whether a stacked conv or dense layer applies a relu (`relu` activation) rather than none. */
export function stackedLayerRelu(layer: LayerOf<"conv2d"> | LayerOf<"dense">): boolean {
  return activationIsRelu(layer) === true;
}

/** The layers of `layers` (wired by `sources`) that the stack runs, or null when none or all of them. */
export function stackedLayers(layers: readonly Layer[], sources: readonly number[][]): StackedLayers | null {
  const readers = new Array<number>(layers.length + 1).fill(0); // slot 0: the model's input
  for (const from of sources) for (const s of from) readers[s + 1]! += 1;
  // Layer i takes only layer i − 1's output (the model's input for i = 0), and nothing else reads that.
  const chained = (i: number) => sources[i]!.length === 1 && sources[i]![0] === i - 1 && readers[i]! === 1;
  const stages: StackedLayers["stages"] = [];
  let i = 0;
  while (i < layers.length && chained(i)) {
    const layer = layers[i]!;
    if (layer.kind !== "conv2d" || activationIsRelu(layer) === null) break;
    const pooled = isPlainMaxPool(layers[i + 1]) && chained(i + 1);
    stages.push({ layer: i, pool: pooled ? i + 1 : null });
    i += pooled ? 2 : 1;
  }
  if (stages.length === 0) return null;
  // The dense layers after the convolutions' flatten, leaving the last layer (the logits) to jax-js.
  if (layers[i]?.kind === "flatten" && chained(i)) {
    let j = i + 1;
    for (; j < layers.length - 1 && chained(j); j++) {
      const layer = layers[j]!;
      if (layer.kind !== "dense" || activationIsRelu(layer) === null) break;
      stages.push({ layer: j, pool: null });
    }
    if (j > i + 1) i = j;
  }
  if (i >= layers.length) return null;
  for (let j = i; j < layers.length; j++) if (sources[j]!.some((s) => s < i - 1)) return null;
  return { stages, head: i };
}

/** `stackedLayers` of a spec's raw layers; null when they do not parse or their wiring is wrong. */
export function stackedLayersOfSpec(spec: { layers: readonly { kind: string }[] }): StackedLayers | null {
  const parsed = spec.layers.map((l) => LayerSchema.safeParse(l));
  if (!parsed.every((p) => p.success)) return null;
  const layers = parsed.map((p) => p.data!);
  const graph = layerGraph(layers);
  if (graph.problems.some((p) => p.severity === "error")) return null;
  return stackedLayers(layers, graph.sources);
}

/**
 * Whether `spec` has conv2d layers that the stack does not train (jax-js then runs them, best on its worker
 * pool). A spec that does not parse counts every conv as outside.
 */
export function hasConvOutsideStack(spec: { layers: readonly { kind: string }[] }): boolean {
  const convs = spec.layers.map((l, i) => (l.kind === "conv2d" ? i : -1)).filter((i) => i >= 0);
  if (convs.length === 0) return false;
  const inStack = new Set(stackedLayersOfSpec(spec)?.stages.map((s) => s.layer) ?? []);
  return convs.some((i) => !inStack.has(i));
}
