import { analyzeSpec } from "../analyze";
import type { SpecEdit } from "../edits";
import { freeId, GRAPH_INPUT, type LayerGraph, layerGraph } from "../graph";
import { type Layer, type ModelSpec, normalizeActivation, type Shape } from "../model";
import { finding } from "./finding";
import { layerName, type NamedFix } from "./fixes";
import { keepsSpecValid } from "./graph-insert";
import type { Rule } from "./rules";

/*
 * What the doctor says about the shape of the graph itself: a deep stack with no shortcut, and residual
 * adds that sum ReLU outputs. Both hold before any training, so they are advice rather than alarms unless
 * the run shows their symptoms.
 */

/** Conv and dense layers on the longest path of a model without an add above which residual connections help. */
export const DEEP_PLAIN_LAYERS = 10;

const WEIGHTED: ReadonlySet<string> = new Set(["conv2d", "dense"]);

/** The most conv and dense layers on any path from the input to the logits. */
export function weightedDepth(spec: ModelSpec, graph: LayerGraph = layerGraph(spec.layers)): number {
  const depth: number[] = [];
  spec.layers.forEach((layer, i) => {
    const before = Math.max(0, ...graph.sources[i]!.map((s) => (s === GRAPH_INPUT ? 0 : depth[s]!)));
    depth.push(before + (WEIGHTED.has(layer.kind) ? 1 : 0));
  });
  return depth.at(-1) ?? 0;
}

/** The activation a layer's output has passed through last, if any. */
function activationOf(layer: Layer): string | null {
  if (layer.kind === "activation") return layer.fn;
  if ((layer.kind === "dense" || layer.kind === "conv2d") && layer.activation !== undefined) {
    return normalizeActivation(layer.activation).fn;
  }
  return null;
}

const sameShape = (a: Shape | null | undefined, b: Shape | null | undefined) =>
  a !== null && a !== undefined && b !== null && b !== undefined && a.join("x") === b.join("x");

/** A shortcut to add: from layer `from`'s output to the output of layer `to`, before `to`'s activation layer. */
interface Skip {
  from: number;
  to: number;
}

/**
 * Shortcuts that make a plain chain residual, left to right: each starts at an activation's output and ends
 * just before a later activation layer, spans at least two conv or dense layers, and joins equal shapes
 * along a stretch of the chain that nothing else reads from.
 */
function skipsFor(spec: ModelSpec, graph: LayerGraph, outShapes: (Shape | null)[]): Skip[] {
  const skips: Skip[] = [];
  const linear = (k: number) => graph.sources[k]!.length === 1 && graph.sources[k]![0] === k - 1;
  let from = spec.layers.findIndex((l) => activationOf(l) !== null);
  while (from >= 0) {
    let weighted = 0;
    let found: number | null = null;
    for (let k = from + 1; k < spec.layers.length - 1; k++) {
      if (!linear(k) || (k > from + 1 && graph.consumers[k - 1]!.length !== 1)) break;
      if (WEIGHTED.has(spec.layers[k]!.kind)) weighted++;
      const next = spec.layers[k + 1]!;
      const endsBlock =
        next.kind === "activation" && linear(k + 1) && graph.consumers[k]!.length === 1 && next.inputs === undefined;
      if (weighted >= 2 && endsBlock && sameShape(outShapes[k], outShapes[from])) {
        found = k;
        break;
      }
    }
    if (found === null) {
      // Try the next activation as a start.
      const after = spec.layers.findIndex((l, k) => k > from && activationOf(l) !== null);
      from = after;
      continue;
    }
    skips.push({ from, to: found });
    // The block's own activation (right after the add) starts the next block.
    from = found + 1;
  }
  return skips;
}

/**
 * The edit that adds `skips`: each an add put before the block's activation that also takes the block's
 * input (a `connect` edit), the last first so that the indices of the earlier ones stay put.
 */
function skipEdit(skips: readonly Skip[]): SpecEdit {
  const edits = [...skips]
    .reverse()
    .map((skip): SpecEdit => ({ op: "connect", from: skip.from, to: skip.to + 1, merge: "add" }));
  return { op: "sequence", edits };
}

/** Residual connections for a plain deep chain, as one edit, or null when its blocks do not line up. */
export function addSkipConnections(spec: ModelSpec): NamedFix<SpecEdit> | null {
  const analysis = analyzeSpec(spec);
  if (!analysis.ok) return null;
  const graph = layerGraph(spec.layers);
  const outShapes = spec.layers.map((_, i) => analysis.layers[i]?.outShape ?? null);
  const skips = skipsFor(spec, graph, outShapes);
  if (skips.length === 0) return null;
  const fix = skipEdit(skips);
  if (!keepsSpecValid(spec, fix)) return null;
  const first = skips[0]!;
  const where = `from ${layerName(spec, first.from)} to after ${layerName(spec, first.to)}`;
  return {
    words:
      skips.length === 1
        ? `add a skip connection ${where}`
        : `add ${skips.length} skip connections (the first ${where}), each around a block of equal input and output shape`,
    fix,
  };
}

/** A deep stack of conv and dense layers with no add: its gradients fade on the way back, and shortcuts help. */
export const deepWithoutSkips: Rule = (ctx) => {
  const spec = ctx.spec;
  if (!spec || spec.layers.some((l) => l.kind === "add")) return null;
  const depth = weightedDepth(spec);
  if (depth < DEEP_PLAIN_LAYERS) return null;
  const struggling = ctx.found.has("vanishing-gradients") || ctx.found.has("underfitting");
  const symptom = ctx.found.has("vanishing-gradients")
    ? " Its gradients vanish (see above)."
    : ctx.found.has("underfitting")
      ? " It does not even fit its training data (see above)."
      : "";
  return finding(
    {
      id: "deep-without-skips",
      severity: struggling ? "warning" : "info",
      title: "A deep network without skip connections",
      evidence: `The longest path from the input to the output passes ${depth} conv and dense layers, and no add joins a block's input to its output.${symptom}`,
    },
    "In a deep plain stack the gradient fades on its way back through every layer, so adding layers can make training worse; a residual connection (an add that sums a block's input with its output, as ResNet does) gives the gradient a path straight through.",
    addSkipConnections(spec),
  );
};

/**
 * The fix for an add whose branch ends in a ReLU: take the ReLU off the branch and put it after the add.
 * Null when the branch's ReLU also feeds other layers or the add's output is named by id.
 */
function reluAfterAdd(spec: ModelSpec, graph: LayerGraph, add: number, branch: number): SpecEdit | null {
  const after = graph.consumers[add]!;
  // The new ReLU goes right after the add, where the next layer takes it by position.
  if (after.length !== 1 || after[0] !== add + 1 || spec.layers[add + 1]!.inputs !== undefined) return null;
  const relu: SpecEdit = { op: "insertLayer", at: add + 1, layer: { kind: "activation", fn: "relu" } };
  const layer = spec.layers[branch]!;
  if (layer.kind === "dense" || layer.kind === "conv2d") {
    if (graph.consumers[branch]!.length !== 1) return null;
    return { op: "sequence", edits: [{ op: "setField", layer: branch, field: "activation", value: null }, relu] };
  }
  const [source] = graph.sources[branch]!;
  if (graph.consumers[branch]!.length !== 1 || source === undefined || layer.id === undefined) return null;
  const edits: SpecEdit[] = [];
  let sourceId: string;
  if (source === GRAPH_INPUT) sourceId = "input";
  else {
    sourceId = spec.layers[source]!.id ?? freeId(spec.layers, `${spec.layers[source]!.kind}_${source + 1}`);
    if (spec.layers[source]!.id === undefined) {
      edits.push({ op: "setField", layer: source, field: "id", value: sourceId });
    }
  }
  const inputs = spec.layers[add]!.inputs!.map((ref) => (ref === layer.id ? sourceId : ref));
  edits.push({ op: "setField", layer: add, field: "inputs", value: inputs }, relu);
  // Last, as it moves the layers after it: nothing reads the branch's ReLU any more.
  edits.push({ op: "removeLayer", at: branch });
  return { op: "sequence", edits };
}

/** A residual add whose inputs all come straight from ReLUs: the block can only add to its input, never subtract. */
export const addOfRelus: Rule = (ctx) => {
  const spec = ctx.spec;
  if (!spec) return null;
  const graph = layerGraph(spec.layers);
  if (graph.problems.some((p) => p.severity === "error")) return null;
  const add = spec.layers.findIndex((l, i) => {
    const sources = graph.sources[i]!;
    return (
      l.kind === "add" &&
      sources.length >= 2 &&
      sources.every((s) => s !== GRAPH_INPUT && activationOf(spec.layers[s]!) === "relu")
    );
  });
  if (add < 0) return null;
  const sources = graph.sources[add]!;
  // The branch is the input that comes last in the list: the shortcut skips ahead from earlier.
  const branch = Math.max(...sources);
  const fix = reluAfterAdd(spec, graph, add, branch);
  const named =
    fix && keepsSpecValid(spec, fix)
      ? { words: `move the ReLU of ${layerName(spec, branch)} to after ${layerName(spec, add)}`, fix }
      : null;
  return finding(
    {
      id: "add-of-relus",
      severity: "info",
      title: "A residual add sums ReLU outputs",
      evidence: `${layerName(spec, add)} adds ${sources.map((s) => layerName(spec, s)).join(" and ")}, all outputs of a ReLU, so none is ever negative.`,
    },
    "A residual block should be able to both raise and lower its input: ResNet adds the block's output before its ReLU (after the batch norm) and applies the ReLU after the add.",
    named,
  );
};
