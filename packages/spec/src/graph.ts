import { type Layer, type LayerKind, MODEL_INPUT_ID, type ModelSpec, type Shape } from "./model";
import { errorProblem, formatShape, layerLabel, type Problem, warningProblem } from "./problems";

/*
 * A model is a directed acyclic graph kept as a list: every layer comes after the layers whose outputs it
 * takes, a layer without `inputs` takes the previous layer's output, and the last layer's output is the
 * logits. So a chain needs no graph fields at all, and walking the list in order is a topological walk.
 */

/** The source index that stands for the model's input. */
export const GRAPH_INPUT = -1;

/** Kinds that join several inputs into one. */
export const MERGE_KINDS: ReadonlySet<LayerKind> = new Set<LayerKind>(["add", "concat"]);

/** True for `add` and `concat`. */
export function isMerge(layer: { kind: string }): boolean {
  return MERGE_KINDS.has(layer.kind as LayerKind);
}

/** The graph of a layer list: who takes whose output. */
export interface LayerGraph {
  /** `sources[i]`: the indices whose outputs layer i takes, in order; `GRAPH_INPUT` is the model's input. */
  sources: number[][];
  /** `consumers[i]`: the layers that take layer i's output, in order. */
  consumers: number[][];
  /** Layers that take the model's input. */
  inputConsumers: number[];
  /** Wrong edges, unknown or repeated ids, merges with one input, outputs that go nowhere. */
  problems: Problem[];
}

/** How a layer of the list is named in a message: `add #7 ('b1_out')`. */
function labelOf(layer: { kind: string; id?: string | undefined }, index: number): string {
  return layer.id === undefined ? layerLabel(layer.kind, index) : `${layerLabel(layer.kind, index)} ('${layer.id}')`;
}

/**
 * Resolves every layer's inputs to indices and checks the edges. Layers that do not parse (null) keep the
 * default wiring. Edges that are wrong are reported and left out, so analysis can carry on.
 */
export function layerGraph(layers: readonly (Layer | null)[]): LayerGraph {
  const problems: Problem[] = [];
  const indexOfId = new Map<string, number>();
  layers.forEach((layer, i) => {
    if (layer?.id === undefined) return;
    const first = indexOfId.get(layer.id);
    if (first === undefined) {
      indexOfId.set(layer.id, i);
      return;
    }
    const fresh = freeId(layers, layer.id);
    problems.push(
      errorProblem({
        layer: i,
        field: "id",
        what: `${layerLabel(layer.kind, i)}: the id '${layer.id}' is already ${layerLabel(layers[first]!.kind, first)}'s`,
        fix: `rename it, e.g. to '${fresh}'`,
        autofix: { op: "setField", layer: i, field: "id", value: fresh },
      }),
    );
  });

  const sources: number[][] = layers.map((layer, i) => {
    if (layer?.inputs === undefined) return [i - 1];
    const found: number[] = [];
    for (const ref of layer.inputs) {
      const source = ref === MODEL_INPUT_ID ? GRAPH_INPUT : indexOfId.get(ref);
      const problem = edgeProblem(layers, layer, i, ref, source);
      if (problem) problems.push(problem);
      else found.push(source!);
    }
    return found;
  });

  // Only edges that passed are followed, so a cycle is reported once, at its backward edge.
  const consumers: number[][] = layers.map(() => []);
  const inputConsumers: number[] = [];
  sources.forEach((from, i) => {
    for (const s of from) (s === GRAPH_INPUT ? inputConsumers : consumers[s]!).push(i);
  });

  layers.forEach((layer, i) => {
    if (layer === null) return;
    const count = sources[i]!.length;
    if (isMerge(layer) && count < 2) {
      problems.push(
        errorProblem({
          layer: i,
          field: "inputs",
          what: `${labelOf(layer, i)} has ${count === 0 ? "no inputs" : "one input"}; ${layer.kind} joins two or more`,
          hint: "connect another layer's output to it (drag from that layer's output), or remove it",
          // The button says what its click does: the one edit there is, the removal.
          fix: `remove ${layerLabel(layer.kind, i)}`,
          autofix: { op: "removeLayer", at: i },
        }),
      );
    } else if (!isMerge(layer) && count > 1) {
      problems.push(
        errorProblem({
          layer: i,
          field: "inputs",
          what: `${labelOf(layer, i)} takes ${count} inputs but only add and concat join several`,
          fix: `insert an add or concat before ${layerLabel(layer.kind, i)} and give it those inputs`,
        }),
      );
    }
    if (i < layers.length - 1 && consumers[i]!.length === 0) {
      problems.push(
        warningProblem({
          layer: i,
          field: null,
          what: `${labelOf(layer, i)}: its output goes nowhere (no layer takes it), so it cannot learn`,
          hint: `connect it to a later layer, or remove ${layerLabel(layer.kind, i)}`,
          fix: `remove ${layerLabel(layer.kind, i)}`,
          autofix: { op: "removeLayer", at: i },
        }),
      );
    }
  });
  return { sources, consumers, inputConsumers, problems };
}

/** The problem of one named input of layer `i`, or null when the edge is fine. */
function edgeProblem(
  layers: readonly (Layer | null)[],
  layer: Layer,
  i: number,
  ref: string,
  source: number | undefined,
): Problem | null {
  const label = labelOf(layer, i);
  if (source === undefined) {
    const known = [MODEL_INPUT_ID, ...layers.slice(0, i).flatMap((l) => (l?.id === undefined ? [] : [l.id]))];
    return errorProblem({
      layer: i,
      field: "inputs",
      what: `${label} takes '${ref}', but no layer has that id`,
      fix: `name one of: ${known.map((k) => `'${k}'`).join(", ")}`,
    });
  }
  if (source < i) return null;
  const target = layers[source]!;
  if (source === i) {
    return errorProblem({
      layer: i,
      field: "inputs",
      what: `${label} takes its own output, a cycle`,
      fix: `remove '${ref}' from its inputs`,
    });
  }
  if (reaches(layers, i, source)) {
    return errorProblem({
      layer: i,
      field: "inputs",
      what: `the edge ${labelOf(target, source)} → ${label} closes a cycle: ${label} already feeds ${labelOf(target, source)}`,
      fix: `remove '${ref}' from the inputs of ${layerLabel(layer.kind, i)}; a network may only feed forward`,
    });
  }
  return errorProblem({
    layer: i,
    field: "inputs",
    what: `${label} takes ${labelOf(target, source)}, which comes after it`,
    fix: `move ${layerLabel(target.kind, source)} before ${layerLabel(layer.kind, i)}`,
    autofix: { op: "moveLayer", from: source, to: i },
  });
}

/** True when `from`'s output flows (through any path of listed edges) into layer `to`. */
function reaches(layers: readonly (Layer | null)[], from: number, to: number): boolean {
  const ids = new Map<string, number>();
  layers.forEach((l, k) => {
    if (l?.id !== undefined && !ids.has(l.id)) ids.set(l.id, k);
  });
  const seen = new Set<number>([from]);
  const stack = [from];
  while (stack.length > 0) {
    const at = stack.pop()!;
    layers.forEach((l, k) => {
      if (seen.has(k) || l === null) return;
      const takes = l.inputs === undefined ? [k - 1] : l.inputs.map((r) => ids.get(r) ?? Number.NaN);
      if (!takes.includes(at)) return;
      seen.add(k);
      stack.push(k);
    });
  }
  return seen.has(to);
}

/** An id no layer has yet, made from `base` (`conv_a` → `conv_a_2`). */
export function freeId(layers: readonly unknown[], base: string): string {
  const taken = new Set(
    layers.flatMap((l) => {
      const id = typeof l === "object" && l !== null ? (l as { id?: unknown }).id : undefined;
      return typeof id === "string" ? [id] : [];
    }),
  );
  const stem =
    base
      .replace(/[^A-Za-z0-9_-]/g, "_")
      .replace(/^([^A-Za-z_])/, "_$1")
      .slice(0, 34) || "layer";
  if (!taken.has(stem) && stem !== MODEL_INPUT_ID) return stem;
  for (let n = 2; ; n++) if (!taken.has(`${stem}_${n}`)) return `${stem}_${n}`;
}

/** Kinds a residual shortcut may pass through between its projection and the add. */
const SHORTCUT_PASS_KINDS: ReadonlySet<LayerKind> = new Set<LayerKind>(["batchNorm", "activation"]);

/**
 * Whether layer `index`'s output goes into an add, directly or along a path of single-consumer batch norms and
 * activations: the layer projects a residual shortcut.
 */
export function feedsAdd(layers: readonly (Layer | null)[], consumers: readonly number[][], index: number): boolean {
  for (let at = index; ; ) {
    const next = consumers[at];
    if (next?.length !== 1) return false;
    const kind = layers[next[0]!]?.kind;
    if (kind === "add") return true;
    if (kind === undefined || !SHORTCUT_PASS_KINDS.has(kind)) return false;
    at = next[0]!;
  }
}

/** True when every layer takes just the previous one's output (a `/1`-style chain). */
export function isChain(layers: readonly (Layer | null)[]): boolean {
  const graph = layerGraph(layers);
  return graph.sources.every((s, i) => s.length === 1 && s[0] === i - 1);
}

/** What a merge of these input shapes gives, or a reason it cannot (for the message). */
export function mergeOutShape(kind: "add" | "concat", inShapes: readonly Shape[]): Shape | null {
  const first = inShapes[0];
  if (first === undefined) return null;
  if (kind === "add") return inShapes.every((s) => sameShape(s, first)) ? first : null;
  if (!inShapes.every((s) => s.length === first.length)) return null;
  if (first.length === 1) return [inShapes.reduce((n, s) => n + s[0]!, 0)];
  if (first.length !== 3 || !inShapes.every((s) => s[1] === first[1] && s[2] === first[2])) return null;
  return [inShapes.reduce((n, s) => n + s[0]!, 0), first[1]!, first[2]!];
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

/**
 * The problem of a merge whose inputs do not fit together, with the fix: a shortcut whose channels or
 * size differ from the first input at an `add` is projected by a 1×1 convolution (a dense layer for
 * vectors), as residual networks do.
 */
export function mergeProblem(
  layers: readonly (Layer | null)[],
  index: number,
  sources: readonly number[],
  inShapes: readonly Shape[],
): Problem | null {
  const layer = layers[index]!;
  const kind = layer.kind as "add" | "concat";
  if (mergeOutShape(kind, inShapes) !== null) return null;
  const label = labelOf(layer, index);
  const name = (s: number) => (s === GRAPH_INPUT ? "the input" : labelOf(layers[s]!, s));
  const listed = sources.map((s, k) => `${formatShape(inShapes[k]!)} from ${name(s)}`).join(" and ");
  if (kind === "concat") {
    const ranks = new Set(inShapes.map((s) => s.length));
    return errorProblem({
      layer: index,
      field: "inputs",
      what: `${label} gets ${listed}`,
      fix:
        ranks.size > 1
          ? "join images with images and vectors with vectors (flatten the images first)"
          : "concat joins the channels of images of one height and width: pool the larger input, or use padding 'same'",
    });
  }
  const target = inShapes[0]!;
  const odd = inShapes.findIndex((s) => !sameShape(s, target));
  const projection = projectionLayer(layers, target, inShapes[odd]!, sources[odd]!);
  return errorProblem({
    layer: index,
    field: "inputs",
    what: `${label} adds tensors of different shapes: ${listed}`,
    fix:
      projection === null
        ? "give every input of the add the same shape"
        : `project the shortcut from ${name(sources[odd]!)} with a ${projection.kind === "conv2d" ? "1×1 conv" : "dense layer"} to ${formatShape(target)}`,
    ...(projection && {
      autofix: {
        op: "sequence",
        edits: [
          { op: "insertLayer", at: index, layer: projection },
          {
            op: "setField",
            layer: index + 1,
            field: "inputs",
            value: (layer.inputs ?? []).map((ref, k) => (k === odd ? projection.id : ref)),
          },
        ],
      },
    }),
  });
}

/** The 1×1 conv (or dense) that turns `from` into `to`, named so the add can take it; null when none can. */
function projectionLayer(layers: readonly (Layer | null)[], to: Shape, from: Shape, source: number) {
  const sourceId = source === GRAPH_INPUT ? MODEL_INPUT_ID : layers[source]?.id;
  // The add names its inputs, so each source already has an id (or is the model's input).
  if (sourceId === undefined) return null;
  const id = freeId(layers, `${sourceId}_proj`);
  if (to.length === 1 && from.length === 1)
    return { kind: "dense" as const, id, inputs: [sourceId], units: to[0]!, bias: false };
  if (to.length !== 3 || from.length !== 3) return null;
  const stride = from[1]! / to[1]!;
  if (!Number.isInteger(stride) || stride < 1 || from[2]! / to[2]! !== stride) return null;
  return { kind: "conv2d" as const, id, inputs: [sourceId], filters: to[0]!, kernel: 1, stride, bias: false };
}

/**
 * Input shapes of every layer and output shapes, over the graph. Throws, naming the layer, when the spec
 * has a wrong edge or a layer that cannot take its inputs; check specs with `analyzeSpec` first.
 */
export function graphShapes(
  spec: ModelSpec,
  outShapeOf: (layer: Layer, inShape: Shape) => Shape | null,
): { inShapes: Shape[][]; outShapes: Shape[]; graph: LayerGraph } {
  const graph = layerGraph(spec.layers);
  const wrong = graph.problems.find((p) => p.severity === "error");
  if (wrong) throw new Error(wrong.message);
  const inShapes: Shape[][] = [];
  const outShapes: Shape[] = [];
  spec.layers.forEach((layer, i) => {
    const ins = graph.sources[i]!.map((s) => (s === GRAPH_INPUT ? spec.input.shape : outShapes[s]!));
    const out = isMerge(layer) ? mergeOutShape(layer.kind as "add" | "concat", ins) : outShapeOf(layer, ins[0]!);
    if (out === null) {
      throw new Error(
        `${layerLabel(layer.kind, i)} cannot take its input ${ins.map(formatShape).join(" and ")}; fix the model in the builder first`,
      );
    }
    inShapes.push(ins);
    outShapes.push(out);
  });
  return { inShapes, outShapes, graph };
}
