import type { z } from "zod";
import type { SpecEdit } from "./edits";
import { feedsAdd, GRAPH_INPUT, isMerge, layerGraph, mergeOutShape, mergeProblem } from "./graph";
import { describeIssue, formatPath, valueAt, withoutEchoes } from "./issues";
import { specSizeProblem } from "./limits";
import { LAYER_KINDS, Layer, type LayerKind, ModelSpec, normalizeActivation, type Shape } from "./model";
import {
  errorProblem,
  formatCount,
  formatShape,
  hasErrors,
  layerLabel,
  type Problem,
  warningProblem,
} from "./problems";
import { type CheckContext, elementCount, ruleOf } from "./shapes";

/** What analysis knows about one layer. For a layer with an error, shapes and counts are those after its autofix. */
export interface LayerInfo {
  /** 0-based position in `spec.layers`. */
  index: number;
  kind: LayerKind;
  /** The first input's shape (a merge has several: `inShapes`). */
  inShape: Shape;
  /** Every input's shape, in the order of the layer's inputs. */
  inShapes: Shape[];
  /** Indices of the layers whose outputs this one takes; -1 is the model's input. */
  sources: number[];
  /** Null when the layer cannot take its input and no fix can be assumed; later layers are then not listed. */
  outShape: Shape | null;
  params: number;
  flops: number;
  /** Bytes of this layer's output per sample (float32). */
  activationBytes: number;
}

/** Everything the builder shows about a spec: shapes, counts and problems. */
export interface SpecAnalysis {
  /** True when there are no errors (warnings allowed) and the spec parsed. */
  ok: boolean;
  /** The parsed spec with defaults filled, or null when it does not parse. */
  spec: ModelSpec | null;
  /** One entry per layer whose input shape is known, in order. */
  layers: LayerInfo[];
  /** Shape of the model's output, when every layer's is known. */
  outShape: Shape | null;
  totals: { params: number; flops: number; activationBytes: number };
  problems: Problem[];
}

/** Above this many parameters the builder warns that training will be slow and memory-hungry. */
export const PARAM_WARNING_THRESHOLD = 50_000_000;

const BYTES_PER_FLOAT = 4;

/** Layers that keep a tensor's size, so a dense before them still sets the output size. */
const SIZE_KEEPING: ReadonlySet<LayerKind> = new Set(["activation", "dropout", "batchNorm"]);

/** Values suggested for a required layer field that is missing (the builder adds chips half-filled). */
const SUGGESTED_FIELD_VALUES: Partial<Record<LayerKind, Record<string, unknown>>> = {
  dense: { units: 64 },
  conv2d: { filters: 32, kernel: 3 },
  activation: { fn: "relu" },
};

/** Fix texts for top-level fields that are missing, where the type alone says too little. */
const MISSING_FIELD_FIX: Record<string, string> = {
  input: 'set input to {"shape":[channels,height,width]}, e.g. {"shape":[1,28,28]} for MNIST',
  "input.shape": "set input.shape to [channels,height,width], e.g. [1,28,28] for MNIST",
  layers: 'set layers to a list, e.g. [{"kind":"flatten"},{"kind":"dense","units":10}]',
  classes: "set classes to the dataset's class names",
};

const InputShape = ModelSpec.shape.input.shape.shape;
const Classes = ModelSpec.shape.classes;

/**
 * Parses and checks a model spec: output shape, parameters, FLOPs and
 * activation memory of every layer, and every problem found, each naming the
 * layer and the fix. Never throws: garbage in gives problems out.
 */
export function analyzeSpec(input: unknown): SpecAnalysis {
  try {
    return analyze(input);
  } catch (cause) {
    // A bug of ours must not take the builder down on a keystroke.
    return {
      ...emptyAnalysis(),
      problems: [
        errorProblem({
          layer: null,
          field: null,
          what: `the spec could not be analysed (${cause instanceof Error ? cause.message : String(cause)})`,
          fix: "report this as a LayerLab bug, with the spec",
        }),
      ],
    };
  }
}

function emptyAnalysis(): SpecAnalysis {
  return {
    ok: false,
    spec: null,
    layers: [],
    outShape: null,
    totals: { params: 0, flops: 0, activationBytes: 0 },
    problems: [],
  };
}

/** The parts of a spec analysis can use, read leniently when the whole does not parse. */
interface SpecParts {
  spec: ModelSpec | null;
  inputShape: Shape | null;
  /** Null for a layer that does not parse. */
  layers: (Layer | null)[];
  /** Whether `layers` was a list at all (an empty list is its own problem). */
  hasLayerList: boolean;
  classes: string[] | null;
  problems: Problem[];
}

function analyze(input: unknown): SpecAnalysis {
  // A huge spec is refused before parsing: walking it would stall the builder or the server.
  const tooLarge = specSizeProblem(input);
  if (tooLarge) return { ...emptyAnalysis(), problems: [tooLarge] };
  const parts = readSpec(input);
  const problems = parts.problems;
  const layers: LayerInfo[] = [];

  let shape: Shape | null = parts.inputShape;
  if (shape?.length === 2) {
    const fixed = [1, ...shape];
    problems.push(
      errorProblem({
        layer: null,
        field: "input.shape",
        what: `the input shape ${formatShape(shape)} has no channel dimension`,
        fix: `use ${formatShape(fixed)} (channels first)`,
        autofix: { op: "setInputShape", shape: fixed },
      }),
    );
    shape = fixed;
  }

  const graph = layerGraph(parts.layers);
  problems.push(...graph.problems);
  const inputShape = shape;
  const outShapes: (Shape | null)[] = [];
  let known = true;
  let imageEndsAt: number | null = null;
  parts.layers.forEach((layer, index) => {
    const sources = graph.sources[index]!;
    const inShapes = sources.map((s) => (s === GRAPH_INPUT ? inputShape : (outShapes[s] ?? null)));
    // Once a shape is unknown the layers after it are not listed (their inputs may depend on it).
    if (!known || layer === null || inShapes.length === 0 || inShapes.some((s) => s === null)) {
      known = false;
      outShapes.push(null);
      return;
    }
    const ins = inShapes as Shape[];
    const info = isMerge(layer)
      ? walkMerge(parts.layers, index, sources, ins, problems)
      : walkLayer(layer, index, ins[0]!, problems, {
          imageEndsAt,
          feedsAdd: feedsAdd(parts.layers, graph.consumers, index),
        });
    layers.push({ ...info.info, inShapes: ins, sources });
    outShapes.push(info.next);
    if (imageEndsAt === null && ins[0]!.length === 3 && info.next?.length === 1) imageEndsAt = index;
  });
  shape = parts.layers.length === 0 ? shape : known ? (outShapes[outShapes.length - 1] ?? null) : null;

  if (parts.hasLayerList && parts.layers.length === 0) {
    problems.push(emptyModelProblem(shape, parts.classes));
  } else if (parts.hasLayerList && parts.layers.every((l) => l !== null)) {
    const readable = parts.layers as Layer[];
    if (shape !== null && parts.classes !== null) {
      const p = outputProblem(readable, graph.sources, shape, parts.classes.length);
      if (p) problems.push(p);
    }
    problems.push(...logitProblems(readable, graph.sources));
  }

  const totals = { params: 0, flops: 0, activationBytes: 0 };
  for (const l of layers) {
    totals.params += l.params;
    totals.flops += l.flops;
    totals.activationBytes += l.activationBytes;
  }
  if (totals.params > PARAM_WARNING_THRESHOLD) problems.push(sizeProblem(totals.params, layers));

  return {
    ok: parts.spec !== null && !hasErrors(problems),
    spec: parts.spec,
    layers,
    outShape: shape,
    totals,
    problems,
  };
}

type WalkedLayer = Omit<LayerInfo, "inShapes" | "sources">;

/** Checks a merge against its inputs: an add's shapes must agree, a concat's heights and widths. */
function walkMerge(
  layers: readonly (Layer | null)[],
  index: number,
  sources: number[],
  inShapes: Shape[],
  problems: Problem[],
): { info: WalkedLayer; next: Shape | null } {
  const layer = layers[index]!;
  const kind = layer.kind as "add" | "concat";
  const problem = mergeProblem(layers, index, sources, inShapes);
  if (problem) problems.push(problem);
  // A wrong add walks on with its first input's shape, as the projection fix would give.
  const out = mergeOutShape(kind, inShapes) ?? (kind === "add" ? inShapes[0]! : null);
  const blank = { index, kind: layer.kind, inShape: inShapes[0]!, params: 0, flops: 0, activationBytes: 0 };
  if (out === null) return { info: { ...blank, outShape: null }, next: null };
  const sums = kind === "add" ? (inShapes.length - 1) * elementCount(out) : 0;
  return {
    info: { ...blank, outShape: out, flops: sums, activationBytes: elementCount(out) * BYTES_PER_FLOAT },
    next: out,
  };
}

/** Checks one layer against its input; returns its info and the shape the walk continues with. */
function walkLayer(
  layer: Layer,
  index: number,
  inShape: Shape,
  problems: Problem[],
  context: CheckContext,
): { info: WalkedLayer; next: Shape | null } {
  const rule = ruleOf(layer);
  const checked = rule.check(layer, inShape, index, context);
  problems.push(...checked.problems);
  const recover = checked.recover;
  const blank = { index, kind: layer.kind, inShape, params: 0, flops: 0, activationBytes: 0 };
  if (recover === "stop") return { info: { ...blank, outShape: null }, next: null };
  if (recover === "skip") return { info: { ...blank, outShape: inShape }, next: inShape };

  const fixedLayer = recover?.layer ?? layer;
  const fixedIn = recover?.inShape ?? inShape;
  const out = rule.outShape(fixedLayer, fixedIn);
  if (out === null) return { info: { ...blank, outShape: null }, next: null };
  const info: WalkedLayer = {
    ...blank,
    outShape: out,
    params: rule.paramCount(fixedLayer, fixedIn),
    flops: rule.flops(fixedLayer, fixedIn, out),
    activationBytes: elementCount(out) * BYTES_PER_FLOAT,
  };
  return { info, next: out };
}

function readSpec(input: unknown): SpecParts {
  const parsed = ModelSpec.safeParse(input);
  if (parsed.success) {
    const spec = parsed.data;
    return {
      spec,
      inputShape: spec.input.shape,
      layers: spec.layers,
      hasLayerList: true,
      classes: spec.classes,
      problems: [],
    };
  }
  // Read what parses, so a half-typed layer does not hide the shapes of the ones before it.
  const problems = withoutEchoes(parsed.error.issues).map((issue) => issueProblem(issue, input));
  const rawLayers = valueAt(input, ["layers"]);
  const shape = InputShape.safeParse(valueAt(input, ["input", "shape"]));
  const classes = Classes.safeParse(valueAt(input, ["classes"]));
  return {
    spec: null,
    inputShape: shape.success ? shape.data : null,
    layers: Array.isArray(rawLayers) ? rawLayers.map((l) => Layer.safeParse(l).data ?? null) : [],
    hasLayerList: Array.isArray(rawLayers),
    classes: classes.success ? classes.data : null,
    problems,
  };
}

function knownKind(raw: unknown): LayerKind | null {
  const kind = valueAt(raw, ["kind"]);
  return typeof kind === "string" && (LAYER_KINDS as string[]).includes(kind) ? (kind as LayerKind) : null;
}

/** A zod issue as a problem, pinned to its layer and field where it has them. */
function issueProblem(issue: z.core.$ZodIssue, input: unknown): Problem {
  const path = issue.path;
  const value = valueAt(input, path);
  if (path[0] !== "layers" || typeof path[1] !== "number") {
    if (path.length === 0 && issue.code === "invalid_type") {
      return errorProblem({
        layer: null,
        field: null,
        what: `the model spec must be an object, not ${value === undefined ? "nothing" : describeRaw(value)}`,
        fix: "start from a template, or paste a spec LayerLab exported",
      });
    }
    const field = formatPath(path);
    const found = describeIssue(issue, value, field, "");
    const fix = value === undefined ? (MISSING_FIELD_FIX[field] ?? found.fix) : found.fix;
    return errorProblem({ layer: null, field: field || null, what: found.what, fix });
  }

  const index = path[1];
  const raw = valueAt(input, ["layers", index]);
  const kind = knownKind(raw);
  const label = `${layerLabel(kind ?? "layer", index)}: `;
  if (path.length === 2 && issue.code === "invalid_type") {
    return errorProblem({
      layer: index,
      field: null,
      what: `${label}must be an object, not ${describeRaw(value)}`,
      fix: `write it as an object such as {"kind":"dense","units":10}, or remove it`,
      autofix: { op: "removeLayer", at: index },
    });
  }
  const field = formatPath(path.slice(2));
  const found = describeIssue(issue, value, field, label);
  const autofix = layerIssueAutofix(issue, index, kind, field, value);
  return errorProblem(
    autofix
      ? { layer: index, field: field || null, ...found, autofix }
      : { layer: index, field: field || null, ...found },
  );
}

/** One-click fixes for the zod issues that have an obvious one. */
function layerIssueAutofix(
  issue: z.core.$ZodIssue,
  index: number,
  kind: LayerKind | null,
  field: string,
  value: unknown,
): SpecEdit | undefined {
  if (issue.code === "unrecognized_keys" && field === "" && issue.keys[0] !== undefined) {
    return { op: "setField", layer: index, field: issue.keys[0], value: null };
  }
  const suggested = kind ? SUGGESTED_FIELD_VALUES[kind]?.[field] : undefined;
  if (value === undefined && suggested !== undefined) {
    return { op: "setField", layer: index, field, value: suggested };
  }
  return undefined;
}

function describeRaw(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return "a text";
  return `a ${typeof value}`;
}

function emptyModelProblem(inShape: Shape | null, classes: string[] | null): Problem {
  const n = classes?.length ?? 10;
  const needsFlatten = inShape !== null && inShape.length > 1;
  return errorProblem({
    layer: null,
    field: "layers",
    what: "the model has no layers",
    fix: needsFlatten
      ? `add flatten and dense(${n}), or start from a template`
      : `add dense(${n}), or start from a template`,
    autofix: {
      op: "insertLayer",
      at: 0,
      layer: needsFlatten ? { kind: "flatten" } : { kind: "dense", units: n },
    },
  });
}

/**
 * The layers the logits come through, from the last one back, as long as each takes one input: in a graph
 * the layer before the last in the list need not be the one the last layer takes.
 */
function outputPath(sources: readonly number[][], count: number): number[] {
  const path: number[] = [];
  for (let i = count - 1; i >= 0; ) {
    path.push(i);
    const from = sources[i];
    if (from?.length !== 1 || from[0]! >= i) break;
    i = from[0]!;
  }
  return path;
}

/** The index of the dense layer that sets the output size: the last one, with only size-keeping layers after it. */
function outputDenseIndex(layers: readonly Layer[], sources: readonly number[][]): number | null {
  for (const i of outputPath(sources, layers.length)) {
    const layer = layers[i]!;
    if (layer.kind === "dense") return i;
    if (!SIZE_KEEPING.has(layer.kind)) return null;
  }
  return null;
}

/** The model must end in one logit per class. */
function outputProblem(
  layers: readonly Layer[],
  sources: readonly number[][],
  outShape: Shape,
  classCount: number,
): Problem | null {
  if (outShape.length === 1 && outShape[0] === classCount) return null;
  const end = layers.length;
  if (outShape.length !== 1) {
    return errorProblem({
      layer: null,
      field: null,
      what: `the model ends in a ${formatShape(outShape)} tensor`,
      fix: `add flatten and dense(${classCount})`,
      autofix: { op: "insertLayer", at: end, layer: { kind: "flatten" } },
    });
  }
  const head = outputDenseIndex(layers, sources);
  const headLayer = head === null ? undefined : layers[head];
  if (head !== null && headLayer?.kind === "dense") {
    return errorProblem({
      layer: head,
      field: "units",
      what: `${layerLabel("dense", head)} has ${headLayer.units} units but the dataset has ${classCount} classes`,
      fix: `set units to ${classCount}`,
      autofix: { op: "setField", layer: head, field: "units", value: classCount },
    });
  }
  return errorProblem({
    layer: null,
    field: null,
    what: `the model ends in a ${formatShape(outShape)} tensor but the dataset has ${classCount} classes`,
    fix: `add dense(${classCount})`,
    autofix: { op: "insertLayer", at: end, layer: { kind: "dense", units: classCount } },
  });
}

/** Anything applied to the logits after the output dense: the loss applies softmax itself. */
function logitProblems(layers: readonly Layer[], sources: readonly number[][]): Problem[] {
  const head = outputDenseIndex(layers, sources);
  if (head === null) return [];
  const problems: Problem[] = [];
  const headLabel = layerLabel("dense", head);
  const headLayer = layers[head];
  if (headLayer?.kind === "dense" && headLayer.activation !== undefined) {
    const fn = normalizeActivation(headLayer.activation).fn;
    problems.push(
      warningProblem({
        layer: head,
        field: "activation",
        what: `${headLabel} applies ${fn} to the logits; the loss applies softmax itself, so an activation here hurts learning`,
        fix: `remove the activation of ${headLabel}`,
        hint: "remove it",
        autofix: { op: "setField", layer: head, field: "activation", value: null },
      }),
    );
  }
  const path = outputPath(sources, layers.length);
  // The layers between the output dense and the logits, in order.
  for (const i of path.slice(0, path.indexOf(head)).reverse()) {
    const layer = layers[i]!;
    const label = layerLabel(layer.kind, i);
    if (layer.kind === "activation") {
      problems.push(
        warningProblem({
          layer: i,
          field: null,
          what: `${label} applies ${layer.fn} to the logits of ${headLabel}; the loss applies softmax itself, so this hurts learning`,
          fix: `remove ${label}`,
          hint: "remove it",
          autofix: { op: "removeLayer", at: i },
        }),
      );
    } else if (layer.kind === "dropout") {
      problems.push(
        warningProblem({
          layer: i,
          field: null,
          what: `${label} comes after the output layer ${headLabel} and drops logits`,
          fix: `remove ${label} or move it before ${headLabel}`,
          autofix: { op: "removeLayer", at: i },
        }),
      );
    }
  }
  return problems;
}

function sizeProblem(total: number, layers: readonly LayerInfo[]): Problem {
  let biggest: LayerInfo | undefined;
  for (const l of layers) if (!biggest || l.params > biggest.params) biggest = l;
  const where = biggest ? `, ${formatCount(biggest.params)} of them in ${layerLabel(biggest.kind, biggest.index)}` : "";
  return warningProblem({
    layer: biggest?.index ?? null,
    field: null,
    what: `the model has ${formatCount(total)} parameters (over ${formatCount(PARAM_WARNING_THRESHOLD)})${where}; it will train slowly and may not fit in browser memory`,
    fix: "add pooling before the flatten, or use fewer units or filters",
  });
}
