import { numpy as np, random } from "@jax-js/jax";
import {
  GRAPH_INPUT,
  graphShapes,
  isMerge,
  type ModelSpec,
  ModelSpec as ModelSpecSchema,
  type Shape,
} from "@layerlab/spec";
import { convPool, fusesConvPool } from "./layers/convPool";
import { merge } from "./layers/merge";
import { LAYERS } from "./layers/registry";
import type { ArrayMap, LayerImpl, Mode } from "./layers/types";

/**
 * All arrays of a model, keyed as PyTorch's `state_dict` of an `nn.Sequential`
 * whose modules are the spec's layers: `"0.weight"`, `"3.running_mean"`.
 * `params` are trained; `state` (batch-norm running statistics) is updated in
 * train mode and used in eval mode.
 */
export type ModelVars = { params: ArrayMap; state: ArrayMap };

/** Options of one forward pass. */
export interface ForwardOptions {
  mode: Mode;
  /** A PRNG key, consumed, required in train mode when the model has dropout. */
  key?: np.Array;
  /** Receives each layer's output (a new reference the callee owns), in order. */
  collect?: (layerIndex: number, y: np.Array) => void;
  /**
   * Layer `layer`'s output is `output` (consumed) instead of what the layer computes, so a gradient can be
   * taken with respect to an inner activation (Grad-CAM's ∂logit/∂A).
   */
  replace?: { layer: number; output: np.Array };
  /**
   * True when the gradient with respect to `x` is wanted (saliency): the first layers then avoid
   * operations whose gradient jax-js cannot compile.
   */
  differentiableInput?: boolean;
  /**
   * `x` is the output of layer `from - 1`, computed elsewhere (the native conv stack), and the layers before
   * `from` are not run. Only for models whose layers from `from` on read nothing earlier than `from - 1`.
   */
  from?: number;
}

/** A model spec turned into pure functions over `ModelVars`. */
export interface Model {
  spec: ModelSpec;
  /**
   * `shapes[i]` is layer i's input shape (a merge's first input's); `shapes[layers.length]` is the
   * logits' shape.
   */
  shapes: Shape[];
  /** Every input shape of every layer, in the order of its inputs. */
  inShapes: Shape[][];
  /** `sources[i]`: the layers whose outputs layer i takes; -1 is the model's input. */
  sources: number[][];
  /** True when some layer draws random numbers in train mode. */
  needsKey: boolean;
  /** Seeded initialisation, as PyTorch's defaults. */
  init(seed: number): ModelVars;
  /** Forward pass of a batch `x` `[N, ...input]`. Consumes `vars` and `x`. */
  apply(vars: ModelVars, x: np.Array, opts: ForwardOptions): { logits: np.Array; state: ArrayMap };
}

function implOf(kind: string): LayerImpl<never> {
  const impl = (LAYERS as unknown as Record<string, LayerImpl<never>>)[kind];
  if (!impl) throw new Error(`the engine has no layer kind '${kind}'`);
  return impl;
}

/** Splits a flat `ModelVars` map into one map per layer index (names without the prefix). */
function byLayer(vars: ArrayMap, count: number): ArrayMap[] {
  const out: ArrayMap[] = Array.from({ length: count }, () => ({}));
  for (const [name, arr] of Object.entries(vars)) {
    const dot = name.indexOf(".");
    out[Number(name.slice(0, dot))]![name.slice(dot + 1)] = arr;
  }
  return out;
}

/**
 * The outputs of a forward pass, each held until its last reader takes it: jax-js arrays are consumed by
 * the operations they enter, so every reader but the last gets a new reference.
 */
class Outputs {
  private readonly arrays = new Map<number, np.Array>();
  private readonly left: number[];

  constructor(readers: number[]) {
    this.left = [...readers];
  }

  /** Stores `y` as `index`'s output; disposes it at once when nobody reads it. */
  put(index: number, y: np.Array): void {
    if (this.left[index + 1]! > 0) this.arrays.set(index, y);
    else y.dispose();
  }

  /** `index`'s output for one reader (GRAPH_INPUT is the model's input). */
  take(index: number): np.Array {
    const slot = index + 1;
    const y = this.arrays.get(index);
    if (y === undefined) throw new Error(`the output of layer ${index} was read more often than the graph says`);
    this.left[slot]! -= 1;
    if (this.left[slot]! > 0) return y.ref;
    this.arrays.delete(index);
    return y;
  }
}

/** Builds a model from a spec (parsed or raw); throws if the spec is not valid. */
export function buildModel(input: ModelSpec | unknown): Model {
  const spec = ModelSpecSchema.parse(input);
  const layers = spec.layers;
  const { inShapes, outShapes, graph } = graphShapes(spec, (layer, inShape) =>
    implOf(layer.kind).outShape(layer as never, inShape),
  );
  const shapes: Shape[] = [...inShapes.map((ins) => ins[0]!), outShapes[outShapes.length - 1] ?? spec.input.shape];
  const sources = graph.sources;
  // Readers of each output, slot 0 being the model's input; the last layer's output is also read as the logits.
  const readers = [graph.inputConsumers.length, ...graph.consumers.map((c) => c.length)];
  readers[layers.length] = (readers[layers.length] ?? 0) + 1;
  const keyed = layers.map((l) => Boolean(implOf(l.kind).needsKey) && !(l.kind === "dropout" && l.rate === 0));
  const needsKey = keyed.some(Boolean);
  // A conv and the max pool after it run as one block when nothing else reads the conv's output.
  const fusable = layers.map(
    (layer, i) =>
      graph.consumers[i]!.length === 1 &&
      sources[i + 1]?.length === 1 &&
      sources[i + 1]![0] === i &&
      sources[i]!.length === 1 &&
      fusesConvPool(layer, layers[i + 1]),
  );

  return {
    spec,
    shapes,
    inShapes,
    sources,
    needsKey,
    init(seed) {
      const params: ArrayMap = {};
      const state: ArrayMap = {};
      const keys = random.split(random.key(seed), layers.length + 1); // [L+1, 2]
      const perLayer = np.split(keys, layers.length + 1, 0);
      layers.forEach((layer, i) => {
        const vars = implOf(layer.kind).init(layer as never, shapes[i]!, perLayer[i]!.reshape([-1]));
        for (const [name, arr] of Object.entries(vars.params)) params[`${i}.${name}`] = arr;
        for (const [name, arr] of Object.entries(vars.state)) state[`${i}.${name}`] = arr;
      });
      perLayer[layers.length]!.dispose();
      return { params, state };
    },
    apply(vars, x, opts) {
      const params = byLayer(vars.params, layers.length);
      const states = byLayer(vars.state, layers.length);
      const training = opts.mode === "train";
      const keyCount = keyed.filter(Boolean).length;
      let keys: np.Array[] = [];
      if (training && keyCount > 0) {
        if (!opts.key) throw new Error("train-mode forward of a model with dropout needs a PRNG key");
        keys = np.split(random.split(opts.key, keyCount), keyCount, 0).map((k) => k.reshape([-1]));
      } else {
        opts.key?.dispose();
      }
      const newState: ArrayMap = {};
      const outputs = new Outputs(readers);
      const from = opts.from ?? 0;
      outputs.put(from === 0 ? GRAPH_INPUT : from - 1, x);
      const inputIsData = (i: number) => !opts.differentiableInput && sources[i]![0] === GRAPH_INPUT;
      const whole = !opts.collect && !opts.replace;
      for (let i = from; i < layers.length; i++) {
        const layer = layers[i]!;
        const key = training && keyed[i] ? keys.shift() : undefined;
        if (whole && fusable[i]) {
          const h = convPool(
            layer as never,
            layers[i + 1] as never,
            params[i]!,
            outputs.take(sources[i]![0]!),
            inputIsData(i),
          );
          outputs.put(i + 1, h);
          i += 1; // the pool, done by the block
          continue;
        }
        const ins = sources[i]!.map((s) => outputs.take(s));
        let y: np.Array;
        if (opts.replace?.layer === i) {
          for (const a of ins) a.dispose();
          key?.dispose();
          for (const a of [...Object.values(params[i]!), ...Object.values(states[i]!)]) a.dispose();
          y = opts.replace.output;
        } else if (isMerge(layer)) {
          key?.dispose();
          y = merge(layer.kind as "add" | "concat", ins);
        } else {
          const out = implOf(layer.kind).apply(layer as never, { params: params[i]!, state: states[i]! }, ins[0]!, {
            mode: opts.mode,
            key,
            inputIsData: inputIsData(i),
          });
          for (const [name, arr] of Object.entries(out.state)) newState[`${i}.${name}`] = arr;
          y = out.y;
        }
        if (opts.collect) opts.collect(i, y.ref);
        outputs.put(i, y);
      }
      return { logits: outputs.take(layers.length - 1), state: newState };
    },
  };
}

/** Total number of trainable scalars. */
export function paramCount(vars: ModelVars): number {
  return Object.values(vars.params).reduce((n, a) => n + a.size, 0);
}
