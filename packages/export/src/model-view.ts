import type { Normalization } from "@layerlab/data-core";
import { decodeSafetensors } from "@layerlab/engine/safetensors";
import { formatPath, graphShapes, inferOutShape, type Layer, ModelSpec, type Shape } from "@layerlab/spec";

/** A float32 tensor as exported: its shape (PyTorch layout) and data. */
export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

export type { Normalization };

/** A validated model ready to export: its spec, each layer's input shape and its tensors by PyTorch name. */
export interface ModelView {
  spec: ModelSpec;
  /** `shapes[i]` is layer i's input shape (a merge's first input's); the last entry is the logits' shape. */
  shapes: Shape[];
  /** Every tensor in state_dict order (`0.weight`, `0.bias`, …), batch-norm counters excluded. */
  tensors: [string, FloatTensor][];
  normalization?: Normalization;
}

/** The tensors a layer owns, by suffix and shape, in PyTorch's state_dict order. */
export function layerTensorShapes(layer: Layer, inShape: Shape): [string, number[]][] {
  switch (layer.kind) {
    case "dense": {
      const weight: [string, number[]] = ["weight", [layer.units, inShape[0]!]];
      return layer.bias ? [weight, ["bias", [layer.units]]] : [weight];
    }
    case "conv2d": {
      const weight: [string, number[]] = ["weight", [layer.filters, inShape[0]!, layer.kernel, layer.kernel]];
      return layer.bias ? [weight, ["bias", [layer.filters]]] : [weight];
    }
    case "batchNorm": {
      const c = [inShape[0]!];
      return [
        ["weight", c],
        ["bias", c],
        ["running_mean", c],
        ["running_var", c],
      ];
    }
    default:
      return [];
  }
}

/** Parses a spec (raw or parsed); throws an error naming the first problem. */
export function parseSpec(input: unknown): ModelSpec {
  const parsed = ModelSpec.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(
    `export: the model spec is not valid: ${formatPath(issue.path)}: ${issue.message}; fix spec.json (the builder shows every problem)`,
  );
}

/** How the layers of a model connect, with every tensor's shape. */
export interface ModelGraph {
  /** `sources[i]`: the layers whose outputs layer i takes, in order; -1 is the model's input. */
  sources: number[][];
  /** `inShapes[i]`: the shape of each of layer i's inputs, in the order of `sources[i]`. */
  inShapes: Shape[][];
  /** `outShapes[i]`: layer i's output shape; the last is the logits'. */
  outShapes: Shape[];
}

/** The graph of a spec with its shapes; throws, naming the layer, when an edge is wrong or a layer cannot take its input. */
export function modelGraph(spec: ModelSpec): ModelGraph {
  let shaped: ReturnType<typeof graphShapes>;
  try {
    shaped = graphShapes(spec, inferOutShape);
  } catch (err) {
    throw new Error(`export: ${(err as Error).message}`);
  }
  const { inShapes, outShapes, graph } = shaped;
  const logits = outShapes[outShapes.length - 1] ?? spec.input.shape;
  if (logits.length !== 1 || logits[0] !== spec.classes.length) {
    throw new Error(
      `export: the model outputs [${logits.join(", ")}] but has ${spec.classes.length} classes; end it with a dense layer of ${spec.classes.length} units`,
    );
  }
  return { sources: graph.sources, inShapes, outShapes };
}

/**
 * Input shape of every layer (a merge's first input's) and, last, the logits' shape; throws when a layer
 * cannot take its input.
 */
export function inferShapes(spec: ModelSpec): Shape[] {
  const { inShapes, outShapes } = modelGraph(spec);
  return [...inShapes.map((ins) => ins[0]!), outShapes[outShapes.length - 1] ?? spec.input.shape];
}

/**
 * Checks safetensors weights against a spec and collects them in state_dict
 * order. Missing, misshapen, non-float32 or unexpected tensors are errors
 * that name the tensor; `N.num_batches_tracked` is accepted and ignored.
 */
export function readModel(specInput: unknown, weights: Uint8Array, normalization?: Normalization): ModelView {
  const spec = parseSpec(specInput);
  const shapes = inferShapes(spec);
  let decoded: ReturnType<typeof decodeSafetensors>["tensors"];
  try {
    decoded = decodeSafetensors(weights).tensors;
  } catch (err) {
    throw new Error(`export: the weights cannot be read: ${(err as Error).message}`);
  }
  const tensors: [string, FloatTensor][] = [];
  spec.layers.forEach((layer, i) => {
    for (const [suffix, shape] of layerTensorShapes(layer, shapes[i]!)) {
      const name = `${i}.${suffix}`;
      const t = decoded[name];
      if (!t) throw new Error(`export: the weights lack '${name}' [${shape.join(", ")}]; are they from this model?`);
      if (t.dtype !== "F32") throw new Error(`export: '${name}' is ${t.dtype}; LayerLab weights are float32 (F32)`);
      if (t.shape.join(",") !== shape.join(",")) {
        throw new Error(
          `export: '${name}' has shape [${t.shape.join(", ")}], the model expects [${shape.join(", ")}]; are the weights from this model?`,
        );
      }
      tensors.push([name, { shape, data: t.data as Float32Array }]);
    }
  });
  const known = new Set(tensors.map(([n]) => n));
  const extra = Object.keys(decoded).filter((n) => !known.has(n) && !n.endsWith(".num_batches_tracked"));
  if (extra.length > 0) {
    throw new Error(`export: the weights hold tensors this model does not have: ${extra.join(", ")}`);
  }
  if (normalization) checkNormalization(normalization, spec.input.shape);
  return normalization ? { spec, shapes, tensors, normalization } : { spec, shapes, tensors };
}

/** Throws unless mean/std have one finite value per input channel and std > 0. */
function checkNormalization(norm: Normalization, inputShape: Shape): void {
  // A feature input [F] may be normalised per feature or with one value for all.
  const channels = inputShape[0]!;
  const fits = (n: number) => n === channels || (inputShape.length === 1 && n === 1);
  const ok = (xs: unknown) => Array.isArray(xs) && fits(xs.length) && xs.every((v) => Number.isFinite(v));
  if (!ok(norm.mean) || !ok(norm.std) || norm.std.some((s) => s <= 0)) {
    throw new Error(
      `export: normalization needs ${channels} finite mean and ${channels} positive std values (one per input channel)`,
    );
  }
}
