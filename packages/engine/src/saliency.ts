import { grad, jit, nn, numpy as np } from "@jax-js/jax";
import { gradCamLayerIndex, type SaliencyMethod, type Shape, saliencyUnavailable } from "@layerlab/spec";
import { refVars } from "./io/checkpoint";
import type { ArrayMap } from "./layers/types";
import type { Model, ModelVars } from "./model";

/*
 * Saliency maps: which pixels of one input drove one class's score.
 *
 * - Gradient × input (Shrikumar et al. 2016, https://arxiv.org/abs/1605.01713):
 *   |∂logit_c/∂x · x|, summed over channels. Works for any model.
 * - Grad-CAM (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391): at the
 *   last layer whose output is an image A [C, h, w], weights
 *   α_k = mean over (i, j) of ∂logit_c/∂A_k,ij, map = relu(Σ_k α_k A_k),
 *   upsampled bilinearly to the input's size. Conv nets only.
 *
 * Both read the logit (before softmax), as the papers do: the softmax
 * probability of a confident class is flat, so its gradient vanishes.
 */

/** One input's saliency map for one class. */
export interface SaliencyMap {
  method: SaliencyMethod;
  /** The class whose logit is explained. */
  classIndex: number;
  /** The class the model predicts for the input. */
  predicted: number;
  /** Softmax probabilities of the input, `[classes]`. */
  probabilities: Float32Array;
  /** Height and width of the map: the input's (a 1-D input is one row). */
  height: number;
  width: number;
  /** `[height · width]`, row-major, scaled so that the largest value is 1 (all 0 when nothing counts). */
  values: Float32Array;
  /** The largest value before scaling: 0 means no pixel raised the class's score. */
  peak: number;
  /** Grad-CAM's layer (its index in the spec); null for gradient × input. */
  layer: number | null;
}

/** What to explain: the method, and the class (the predicted one when absent). */
export interface SaliencyRequest {
  method: SaliencyMethod;
  classIndex?: number;
}

/** Height and width of an input shape: the last two axes of an image, one row of a vector. */
export function mapSize(inShape: Shape): { height: number; width: number } {
  if (inShape.length >= 2) return { height: inShape.at(-2)!, width: inShape.at(-1)! };
  return { height: 1, width: inShape[0] ?? 1 };
}

/** The layer Grad-CAM reads (see `gradCamLayerIndex`); null for a model without image outputs. */
export function gradCamLayer(model: Model): number | null {
  return gradCamLayerIndex(model.shapes.slice(1));
}

/**
 * Bilinear resampling of a `[h, w]` map to `[height, width]`, pixel centres
 * aligned as PyTorch's `interpolate(mode="bilinear", align_corners=False)`.
 */
export function upsampleBilinear(map: Float32Array, h: number, w: number, height: number, width: number): Float32Array {
  const out = new Float32Array(height * width);
  const source = (dst: number, from: number, to: number) => {
    const s = Math.min(Math.max((dst + 0.5) * (from / to) - 0.5, 0), from - 1);
    const lo = Math.floor(s);
    return { lo, hi: Math.min(lo + 1, from - 1), t: s - lo };
  };
  for (let y = 0; y < height; y++) {
    const sy = source(y, h, height);
    for (let x = 0; x < width; x++) {
      const sx = source(x, w, width);
      const top = map[sy.lo * w + sx.lo]! * (1 - sx.t) + map[sy.lo * w + sx.hi]! * sx.t;
      const bottom = map[sy.hi * w + sx.lo]! * (1 - sx.t) + map[sy.hi * w + sx.hi]! * sx.t;
      out[y * width + x] = top * (1 - sy.t) + bottom * sy.t;
    }
  }
  return out;
}

/** Divides `values` by their largest value (in place); returns that value (0 leaves them all 0). */
function scaleToUnit(values: Float32Array): number {
  let peak = 0;
  for (const v of values) if (v > peak) peak = v;
  if (peak > 0) for (let i = 0; i < values.length; i++) values[i] = Math.max(0, values[i]! / peak);
  else values.fill(0);
  return peak;
}

/** The score a saliency map explains: class `onehot`'s logit (summed over a batch of one). Consumes its arguments. */
function classLogit(logits: np.Array, state: ArrayMap, onehot: np.Array): np.Array {
  for (const a of Object.values(state)) a.dispose();
  return np.sum(logits.mul(onehot)); // [1, classes] · [1, classes] → []
}

/**
 * Saliency maps of one model, traced and compiled on first use and reused by
 * every later call (the draw page asks on every stroke). Holds compiled
 * programs, never arrays: `dispose()` frees them.
 */
export interface SaliencyExplainer {
  /** The map of `request` for one normalised input `x` (`[...input]`). Does not consume `vars`. */
  explain(vars: ModelVars, x: Float32Array, request: SaliencyRequest): Promise<SaliencyMap>;
  dispose(): void;
}

/** Compiles `model`'s saliency passes lazily: nothing is traced until a method is first asked for. */
export function createSaliencyExplainer(model: Model): SaliencyExplainer {
  const inShape = model.spec.input.shape;
  const size = inShape.reduce((a, b) => a * b, 1);
  const classes = model.spec.classes.length;
  const { height, width } = mapSize(inShape);
  const camLayer = gradCamLayer(model);

  const probabilities = jit((v: ModelVars, input: np.Array) => {
    const { logits, state } = model.apply(v, input, { mode: "eval" });
    for (const a of Object.values(state)) a.dispose();
    return nn.softmax(logits, -1); // [1, classes]
  });
  const gradientTimesInput = jit((v: ModelVars, input: np.Array, onehot: np.Array) => {
    const logitOf = (xx: np.Array) => {
      const { logits, state } = model.apply(v, xx, { mode: "eval", differentiableInput: true });
      return classLogit(logits, state, onehot);
    };
    const g = grad(logitOf)(input.ref); // [1, ...input]
    const contribution = np.abs(g.mul(input)).reshape([1, -1, height * width]); // [1, C, H·W]
    return np.sum(contribution, 1); // [1, H·W]
  });
  // The forward pass up to Grad-CAM's layer: the probabilities and that layer's output A.
  const withLayer = jit((v: ModelVars, input: np.Array) => {
    let a: np.Array | null = null;
    const { logits, state } = model.apply(v, input, {
      mode: "eval",
      collect: (i, y) => {
        if (i === camLayer) a = y;
        else y.dispose();
      },
    });
    for (const s of Object.values(state)) s.dispose();
    return [nn.softmax(logits, -1), a!] as [np.Array, np.Array]; // [1, classes], [1, C, h, w]
  });
  // ∂logit/∂A: the same forward pass with layer camLayer's output replaced by A, differentiated in A.
  const camOf = jit((v: ModelVars, input: np.Array, a: np.Array, onehot: np.Array) => {
    const logitOf = (aa: np.Array) => {
      const { logits, state } = model.apply(v, input, { mode: "eval", replace: { layer: camLayer!, output: aa } });
      return classLogit(logits, state, onehot);
    };
    const g = grad(logitOf)(a.ref); // [1, C, h, w]
    const weights = np.mean(g, [2, 3], { keepdims: true }); // [1, C, 1, 1]
    return nn.relu(np.sum(weights.mul(a), 1)); // [1, h, w]
  });

  const oneHot = (c: number) => {
    const data = new Float32Array(classes);
    data[c] = 1;
    return np.array(data, { shape: [1, classes] });
  };

  return {
    async explain(vars, x, request) {
      if (x.length !== size) {
        throw new Error(
          `saliency: expected one input of ${inShape.join("×")} (${size} values), got ${x.length} values`,
        );
      }
      const unavailable = saliencyUnavailable(request.method, model.shapes.slice(1));
      if (unavailable) throw new Error(unavailable);
      const asked = request.classIndex;
      if (asked !== undefined && !(Number.isInteger(asked) && asked >= 0 && asked < classes)) {
        throw new Error(`saliency: class ${asked} is not one of the model's ${classes} classes (0 to ${classes - 1})`);
      }
      const input = () => np.array(x, { shape: [1, ...inShape] });
      const explained = (probs: Float32Array) => {
        const predicted = probs.indexOf(Math.max(...probs));
        return {
          method: request.method,
          classIndex: asked ?? predicted,
          predicted,
          probabilities: probs,
          height,
          width,
        };
      };
      if (request.method === "gradientTimesInput") {
        const head = explained((await probabilities(refVars(vars), input()).data()) as Float32Array);
        const values = (await gradientTimesInput(
          refVars(vars),
          input(),
          oneHot(head.classIndex),
        ).data()) as Float32Array;
        return { ...head, values, peak: scaleToUnit(values), layer: null };
      }
      const layer = camLayer!;
      const [p, a] = withLayer(refVars(vars), input());
      const [, , h, w] = a.shape as [number, number, number, number];
      const head = explained((await p.data()) as Float32Array);
      const cam = (await camOf(refVars(vars), input(), a, oneHot(head.classIndex)).data()) as Float32Array;
      const values = upsampleBilinear(cam, h, w, height, width);
      return { ...head, values, peak: scaleToUnit(values), layer };
    },
    dispose() {
      probabilities.dispose();
      gradientTimesInput.dispose();
      withLayer.dispose();
      camOf.dispose();
    },
  };
}

/** One saliency map of one normalised input; compiles, explains, frees. Does not consume `vars`. */
export async function saliency(
  model: Model,
  vars: ModelVars,
  x: Float32Array,
  request: SaliencyRequest,
): Promise<SaliencyMap> {
  const explainer = createSaliencyExplainer(model);
  try {
    return await explainer.explain(vars, x, request);
  } finally {
    explainer.dispose();
  }
}
