import type { SpecEdit } from "./edits";
import { type Layer, type LayerKind, type LayerOf, normalizeActivation, type Shape } from "./model";
import { errorProblem, type Finding, formatShape, layerLabel, type Problem, warningProblem } from "./problems";

/*
 * One registry of shape rules, one entry per layer kind (the engine has the
 * matching registry of implementations). Shapes exclude the batch dimension.
 *
 * FLOP convention (forward pass, inference mode, per sample):
 * - dense, conv2d: 2·MACs (a multiply and an add per weight use); bias adds are
 *   not counted, a fused activation adds 1 per output element.
 * - maxPool2d, avgPool2d: size² per output element (one compare or add per
 *   window element; the average's divide is folded in).
 * - globalAvgPool: 1 per input element.
 * - batchNorm: 2 per element (scale and shift, with the statistics folded in).
 * - activation: 1 per element, whatever the function costs to evaluate.
 * - dropout, flatten: 0 (identity and reshape at inference).
 */

/** How analysis carries on past a layer that does not fit its input. */
export type Recovery<K extends LayerKind> =
  /** As if the layer (or its input) had been fixed as the problem's autofix says. */
  | { layer?: LayerOf<K>; inShape?: Shape }
  /** As if the layer had been removed: its input flows on unchanged. */
  | "skip"
  /** Not at all: the shapes after this layer are unknown. */
  | "stop";

/** What checking one layer against its input found. */
export interface LayerCheck<K extends LayerKind> {
  problems: Problem[];
  recover?: Recovery<K>;
}

/** What checking a layer may know about the layers before it. */
export interface CheckContext {
  /** Index of the layer that turned the image into a vector (flatten, globalAvgPool, dense), if one did. */
  imageEndsAt: number | null;
  /**
   * Whether the layer's output goes (alone, or through batch norm and activations) into an add: a residual
   * shortcut, whose add also takes a path that sees every pixel.
   */
  feedsAdd?: boolean;
}

/** The shape rule of one layer kind. */
export interface LayerRule<K extends LayerKind> {
  kind: K;
  /** One line for the builder's layer palette. */
  summary: string;
  /** Output shape, or null when the layer cannot take this input. */
  outShape(layer: LayerOf<K>, inShape: Shape): Shape | null;
  /** Trainable parameters (batch-norm running statistics are state, not parameters). */
  paramCount(layer: LayerOf<K>, inShape: Shape): number;
  /** Forward FLOPs per sample, by the convention above. */
  flops(layer: LayerOf<K>, inShape: Shape, outShape: Shape): number;
  /** Problems of this layer with this input, and how to walk on past them. */
  check(layer: LayerOf<K>, inShape: Shape, index: number, context?: CheckContext): LayerCheck<K>;
}

/** Number of elements of a tensor of this shape. */
export function elementCount(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Padding `[before, after]` of one spatial axis under 'same' (TensorFlow's
 * rule): the output is ceil(in/stride), and an odd total puts the extra row or
 * column after (bottom/right).
 */
export function samePadding(inSize: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + kernel - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Output size of one spatial axis of a convolution. */
export function convOutSize(inSize: number, kernel: number, stride: number, padding: "valid" | "same"): number {
  if (padding === "same") return Math.ceil(inSize / stride);
  return Math.floor((inSize - kernel) / stride) + 1;
}

/** Output size of one spatial axis of an unpadded pooling window. */
export function poolOutSize(inSize: number, size: number, stride: number): number {
  return Math.floor((inSize - size) / stride) + 1;
}

const isImage = (s: Shape): s is readonly [number, number, number] => s.length === 3;

/** The stride of a pooling layer, which defaults to its window size. */
export function poolStride(layer: { size: number; stride?: number | undefined }): number {
  return layer.stride ?? layer.size;
}

function fusedActivationFlops(layer: { activation?: unknown }, outShape: Shape): number {
  return layer.activation === undefined ? 0 : elementCount(outShape);
}

/** The problem every spatial layer has with a 1-D (or 2-D) input. */
function needsImage(kind: LayerKind, index: number, inShape: Shape, autofix: SpecEdit | undefined): Problem {
  const what = `${layerLabel(kind, index)} needs a [channels,height,width] input but gets ${formatShape(inShape)}`;
  const finding: Finding<SpecEdit> = {
    layer: index,
    field: null,
    what,
    fix:
      inShape.length === 1
        ? `move ${layerLabel(kind, index)} before the flatten/dense layers, or remove it`
        : "give the input a channel dimension",
  };
  if (autofix) finding.autofix = autofix;
  return errorProblem(finding);
}

const dense: LayerRule<"dense"> = {
  kind: "dense",
  summary: "Fully connected layer: every output sees every input feature.",
  outShape: (layer, inShape) => (inShape.length === 1 ? [layer.units] : null),
  paramCount: (layer, inShape) => elementCount(inShape) * layer.units + (layer.bias ? layer.units : 0),
  flops: (layer, inShape, outShape) => 2 * elementCount(inShape) * layer.units + fusedActivationFlops(layer, outShape),
  check(_layer, inShape, index) {
    if (inShape.length === 1) return { problems: [] };
    const label = layerLabel("dense", index);
    return {
      problems: [
        errorProblem({
          layer: index,
          field: null,
          what: `${label} after a ${inShape.length}-D tensor needs a flatten`,
          hint: "insert one",
          fix: `insert a flatten layer before ${label}`,
          autofix: { op: "insertLayer", at: index, layer: { kind: "flatten" } },
        }),
      ],
      recover: { inShape: [elementCount(inShape)] },
    };
  },
};

/** The largest kernel a too-large one is replaced with: bigger kernels cost far more and rarely help. */
const MAX_SUGGESTED_KERNEL = 5;

/**
 * The kernel suggested for an input whose smaller side is `smallest`: the largest odd size that fits
 * and is at most 5 (odd, so a later switch to padding 'same' pads evenly).
 */
export function fittingKernel(smallest: number): number {
  const k = Math.min(smallest, MAX_SUGGESTED_KERNEL);
  return Math.max(1, k % 2 === 1 ? k : k - 1);
}

const conv2d: LayerRule<"conv2d"> = {
  kind: "conv2d",
  summary: "2-D convolution: slides `filters` learned kernels over the image.",
  outShape(layer, inShape) {
    if (!isImage(inShape)) return null;
    const h = convOutSize(inShape[1], layer.kernel, layer.stride, layer.padding);
    const w = convOutSize(inShape[2], layer.kernel, layer.stride, layer.padding);
    return h >= 1 && w >= 1 ? [layer.filters, h, w] : null;
  },
  paramCount(layer, inShape) {
    const inChannels = inShape[0] ?? 0;
    return inChannels * layer.kernel * layer.kernel * layer.filters + (layer.bias ? layer.filters : 0);
  },
  flops(layer, inShape, outShape) {
    const macsPerOutput = (inShape[0] ?? 0) * layer.kernel * layer.kernel;
    return 2 * macsPerOutput * elementCount(outShape) + fusedActivationFlops(layer, outShape);
  },
  check(layer, inShape, index, context) {
    if (inShape.length === 1) {
      // Move it back to where the image still is; removing it is the other way out (said in the message).
      const to = context?.imageEndsAt ?? null;
      const fix: SpecEdit = to === null ? { op: "removeLayer", at: index } : { op: "moveLayer", from: index, to };
      return { problems: [needsImage("conv2d", index, inShape, fix)], recover: "skip" };
    }
    if (!isImage(inShape)) return { problems: [needsImage("conv2d", index, inShape, undefined)], recover: "stop" };
    const label = layerLabel("conv2d", index);
    const problems: Problem[] = [];
    let recover: Recovery<"conv2d"> | undefined;
    const smallest = Math.min(inShape[1], inShape[2]);
    if (layer.padding === "valid" && layer.kernel > smallest) {
      const fitting = fittingKernel(smallest);
      problems.push(
        errorProblem({
          layer: index,
          field: "kernel",
          what: `${label}: kernel ${layer.kernel} is larger than its ${inShape[1]}×${inShape[2]} input`,
          fix: `use kernel ${fitting}, which fits (any kernel ≤ ${smallest} does)`,
          autofix: { op: "setField", layer: index, field: "kernel", value: fitting },
        }),
      );
      recover = { layer: { ...layer, kernel: fitting } };
    }
    if (layer.padding === "same" && layer.kernel % 2 === 0) {
      problems.push(
        warningProblem({
          layer: index,
          field: "kernel",
          what: `${label}: padding 'same' with the even kernel ${layer.kernel} pads unevenly (the extra row and column go bottom/right)`,
          fix: `use an odd kernel such as ${layer.kernel + 1}`,
          autofix: { op: "setField", layer: index, field: "kernel", value: layer.kernel + 1 },
        }),
      );
    }
    // A strided 1×1 projection on a residual shortcut skips pixels by design (He et al., 2015, option B).
    const projectsShortcut = layer.kernel === 1 && context?.feedsAdd === true;
    if (layer.stride > layer.kernel && !projectsShortcut) {
      problems.push(
        warningProblem({
          layer: index,
          field: "stride",
          what: `${label}: stride ${layer.stride} is larger than kernel ${layer.kernel}, so some pixels are never seen`,
          fix: `use stride ≤ ${layer.kernel}`,
          autofix: { op: "setField", layer: index, field: "stride", value: layer.kernel },
        }),
      );
    }
    return recover ? { problems, recover } : { problems };
  },
};

type PoolKind = "maxPool2d" | "avgPool2d";

/** The rule shared by max and average pooling; only the kind and summary differ. */
function poolRule<K extends PoolKind>(kind: K, summary: string): LayerRule<K> {
  const rule: LayerRule<PoolKind> = {
    kind,
    summary,
    outShape(layer, inShape) {
      if (!isImage(inShape)) return null;
      const stride = poolStride(layer);
      const h = poolOutSize(inShape[1], layer.size, stride);
      const w = poolOutSize(inShape[2], layer.size, stride);
      return h >= 1 && w >= 1 ? [inShape[0], h, w] : null;
    },
    paramCount: () => 0,
    flops: (layer, _inShape, outShape) => elementCount(outShape) * layer.size * layer.size,
    check(layer, inShape, index) {
      const remove: SpecEdit = { op: "removeLayer", at: index };
      if (!isImage(inShape)) return { problems: [needsImage(kind, index, inShape, remove)], recover: "skip" };
      const label = layerLabel(kind, index);
      const problems: Problem[] = [];
      const smallest = Math.min(inShape[1], inShape[2]);
      if (layer.size > smallest) {
        problems.push(
          errorProblem({
            layer: index,
            field: "size",
            what: `${label}: window ${layer.size} is larger than its ${inShape[1]}×${inShape[2]} input`,
            fix: smallest > 1 ? `remove the pooling or use size ≤ ${smallest}` : "remove the pooling",
            autofix: remove,
          }),
        );
        return { problems, recover: "skip" };
      }
      const stride = poolStride(layer);
      if (stride > layer.size) {
        problems.push(
          warningProblem({
            layer: index,
            field: "stride",
            what: `${label}: stride ${stride} is larger than the window ${layer.size}, so some pixels are never seen`,
            fix: "leave stride unset (it defaults to the window size)",
            autofix: { op: "setField", layer: index, field: "stride", value: null },
          }),
        );
      }
      return { problems };
    },
  };
  // The methods read only the fields both pooling kinds share.
  return rule as unknown as LayerRule<K>;
}

const globalAvgPool: LayerRule<"globalAvgPool"> = {
  kind: "globalAvgPool",
  summary: "Averages each channel over the whole image: [C,H,W] → [C].",
  outShape: (_layer, inShape) => (isImage(inShape) ? [inShape[0]] : null),
  paramCount: () => 0,
  flops: (_layer, inShape) => elementCount(inShape),
  check(_layer, inShape, index) {
    if (isImage(inShape)) return { problems: [] };
    return {
      problems: [needsImage("globalAvgPool", index, inShape, { op: "removeLayer", at: index })],
      recover: "skip",
    };
  },
};

const batchNorm: LayerRule<"batchNorm"> = {
  kind: "batchNorm",
  summary: "Normalises each channel (or feature) over the batch, then scales and shifts it.",
  outShape: (_layer, inShape) => (inShape.length === 1 || inShape.length === 3 ? inShape : null),
  paramCount: (_layer, inShape) => 2 * (inShape[0] ?? 0),
  flops: (_layer, _inShape, outShape) => 2 * elementCount(outShape),
  check(_layer, inShape, index) {
    if (inShape.length === 1 || inShape.length === 3) return { problems: [] };
    return { problems: [needsImage("batchNorm", index, inShape, undefined)], recover: "stop" };
  },
};

const dropout: LayerRule<"dropout"> = {
  kind: "dropout",
  summary: "Zeroes a random share `rate` of its inputs while training, to fight overfitting.",
  outShape: (_layer, inShape) => inShape,
  paramCount: () => 0,
  flops: () => 0,
  check(layer, _inShape, index) {
    if (layer.rate < 0.9) return { problems: [] };
    return {
      problems: [
        warningProblem({
          layer: index,
          field: "rate",
          what: `${layerLabel("dropout", index)}: rate ${layer.rate} drops almost every activation, so the network can hardly learn`,
          fix: "use a rate between 0.2 and 0.5",
          autofix: { op: "setField", layer: index, field: "rate", value: 0.5 },
        }),
      ],
    };
  },
};

const flatten: LayerRule<"flatten"> = {
  kind: "flatten",
  summary: "Unrolls a [C,H,W] tensor into C·H·W features (in C, H, W order, as PyTorch).",
  outShape: (_layer, inShape) => [elementCount(inShape)],
  paramCount: () => 0,
  flops: () => 0,
  check(_layer, inShape, index) {
    if (inShape.length !== 1) return { problems: [] };
    return {
      problems: [
        warningProblem({
          layer: index,
          field: null,
          what: `${layerLabel("flatten", index)} on ${formatShape(inShape)} features has no effect`,
          fix: "remove it",
          autofix: { op: "removeLayer", at: index },
        }),
      ],
    };
  },
};

const activation: LayerRule<"activation"> = {
  kind: "activation",
  summary: "Applies a non-linearity (relu, tanh, …) to every element.",
  outShape: (_layer, inShape) => inShape,
  paramCount: () => 0,
  flops: (_layer, _inShape, outShape) => elementCount(outShape),
  check: () => ({ problems: [] }),
};

/**
 * The rule of a merge as seen from one input: it has no parameters, and one input passes through. The
 * graph checks and shapes a merge over all its inputs (`graph.ts`: `mergeOutShape`, `mergeProblem`).
 */
function mergeRule<K extends "add" | "concat">(kind: K, summary: string): LayerRule<K> {
  return {
    kind,
    summary,
    outShape: (_layer, inShape) => inShape,
    paramCount: () => 0,
    // An add's sums: one per output element for each input past the first, counted by the analysis.
    flops: () => 0,
    check: () => ({ problems: [] }),
  };
}

/** The shape rule of every layer kind, keyed by kind. */
export const LAYER_RULES: { [K in LayerKind]: LayerRule<K> } = {
  dense,
  conv2d,
  maxPool2d: poolRule("maxPool2d", "Keeps the largest value of each window, shrinking the image."),
  avgPool2d: poolRule("avgPool2d", "Averages each window, shrinking the image."),
  globalAvgPool,
  batchNorm,
  dropout,
  flatten,
  activation,
  add: mergeRule("add", "Adds its inputs element by element: a residual (skip) connection."),
  concat: mergeRule("concat", "Joins its inputs along the channels (images) or features (vectors)."),
};

/** The rule of `layer`'s kind, typed for that layer (TypeScript cannot narrow the map lookup itself). */
export function ruleOf(layer: Layer): LayerRule<LayerKind> {
  return LAYER_RULES[layer.kind] as unknown as LayerRule<LayerKind>;
}

/** Output shape of `layer` on `inShape`, or null when it cannot take that input. */
export function inferOutShape(layer: Layer, inShape: Shape): Shape | null {
  return ruleOf(layer).outShape(layer, inShape);
}

/** Trainable parameters of `layer` on `inShape`. */
export function layerParamCount(layer: Layer, inShape: Shape): number {
  return ruleOf(layer).paramCount(layer, inShape);
}

/** The activation function a layer applies at its output, if any (fused or as an activation layer). */
export function appliedActivation(layer: Layer): string | null {
  if (layer.kind === "activation") return layer.fn;
  if ((layer.kind === "dense" || layer.kind === "conv2d") && layer.activation !== undefined) {
    return normalizeActivation(layer.activation).fn;
  }
  return null;
}
