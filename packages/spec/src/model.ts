import { z } from "zod";

/** The format tag every model spec carries; bump it when a field changes meaning. */
export const MODEL_FORMAT = "layerlab.model/2";
/**
 * The chain-only format before graphs. A `/1` spec is a valid `/2` spec (every layer takes the previous
 * layer's output), so reading one only rewrites its tag.
 */
export const MODEL_FORMAT_V1 = "layerlab.model/1";

/** What `inputs` names for the model's own input. */
export const MODEL_INPUT_ID = "input";

/** A name other layers use to take this layer's output: a letter or `_`, then letters, digits, `_` or `-`. */
export const LayerId = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,39}$/, "an id is a letter or _ then up to 39 letters, digits, _ or -")
  .refine((id) => id !== MODEL_INPUT_ID, `"${MODEL_INPUT_ID}" names the model's input; pick another id`);

/**
 * Where a layer sits in the graph. A layer without `inputs` takes the previous layer's output (the model's
 * input for the first layer), so a chain needs neither field; `id` is needed only on layers that other
 * layers name.
 */
const graphFields = {
  id: LayerId.optional().meta({ title: "Id", description: "The name other layers use to take this layer's output." }),
  /** Ids of the layers whose outputs this one takes (`"input"` for the model's input); earlier layers only. */
  inputs: z.array(z.string()).min(1).max(16).optional().meta({
    title: "Inputs",
    description: 'Ids of the layers this one takes, "input" for the model\'s input; left out, the layer before.',
  }),
};

export const ACTIVATION_NAMES = ["relu", "leakyRelu", "elu", "gelu", "sigmoid", "tanh"] as const;
export const ActivationName = z.enum(ACTIVATION_NAMES);
export type ActivationName = z.infer<typeof ActivationName>;

/**
 * An activation is written either as its name (`"relu"`) or, when it takes a
 * parameter, as an object (`{ "fn": "leakyRelu", "alpha": 0.2 }`).
 */
export const Activation = z.union([
  ActivationName,
  z.object({ fn: ActivationName, alpha: z.number().positive().optional() }).strict(),
]);
export type Activation = z.infer<typeof Activation>;

/** Default parameters of the parameterised activations, as PyTorch has them. */
export const ACTIVATION_DEFAULT_ALPHA: Partial<Record<ActivationName, number>> = {
  leakyRelu: 0.01,
  elu: 1,
};

/** The `{fn, alpha}` form of any activation, with its default alpha filled in. */
export function normalizeActivation(a: Activation): { fn: ActivationName; alpha?: number } {
  const fn = typeof a === "string" ? a : a.fn;
  const given = typeof a === "string" ? undefined : a.alpha;
  const alpha = given ?? ACTIVATION_DEFAULT_ALPHA[fn];
  return alpha === undefined ? { fn } : { fn, alpha };
}

const int = (min: number) => z.number().int().min(min);

export const DenseLayer = z
  .object({
    kind: z.literal("dense"),
    ...graphFields,
    units: int(1),
    bias: z.boolean().default(true),
    activation: Activation.optional(),
  })
  .strict();

export const Conv2dLayer = z
  .object({
    kind: z.literal("conv2d"),
    ...graphFields,
    filters: int(1),
    kernel: int(1),
    stride: int(1).default(1),
    padding: z.enum(["valid", "same"]).default("valid"),
    bias: z.boolean().default(true),
    activation: Activation.optional(),
  })
  .strict();

const poolFields = {
  ...graphFields,
  size: int(1).default(2),
  /** Defaults to `size` (non-overlapping windows), as PyTorch does. */
  stride: int(1).optional(),
};
export const MaxPool2dLayer = z.object({ kind: z.literal("maxPool2d"), ...poolFields }).strict();
export const AvgPool2dLayer = z.object({ kind: z.literal("avgPool2d"), ...poolFields }).strict();
export const GlobalAvgPoolLayer = z.object({ kind: z.literal("globalAvgPool"), ...graphFields }).strict();
export const BatchNormLayer = z
  .object({
    kind: z.literal("batchNorm"),
    ...graphFields,
    /** PyTorch's convention: running = (1 - momentum)·running + momentum·batch. */
    momentum: z.number().gt(0).lt(1).default(0.1),
    epsilon: z.number().positive().default(1e-5),
  })
  .strict();
export const DropoutLayer = z
  .object({ kind: z.literal("dropout"), ...graphFields, rate: z.number().min(0).lt(1).default(0.5) })
  .strict();
export const FlattenLayer = z.object({ kind: z.literal("flatten"), ...graphFields }).strict();
export const ActivationLayer = z
  .object({
    kind: z.literal("activation"),
    ...graphFields,
    fn: ActivationName,
    alpha: z.number().positive().optional(),
  })
  .strict();

/** Sums its inputs element by element (a residual connection); every input has the same shape. */
export const AddLayer = z.object({ kind: z.literal("add"), ...graphFields }).strict();
/**
 * Joins its inputs along the channels of images (their heights and widths agree) or along the features of
 * vectors, in the order of `inputs` (an Inception-style branch).
 */
export const ConcatLayer = z.object({ kind: z.literal("concat"), ...graphFields }).strict();

export const Layer = z.discriminatedUnion("kind", [
  DenseLayer,
  Conv2dLayer,
  MaxPool2dLayer,
  AvgPool2dLayer,
  GlobalAvgPoolLayer,
  BatchNormLayer,
  DropoutLayer,
  FlattenLayer,
  ActivationLayer,
  AddLayer,
  ConcatLayer,
]);
export type Layer = z.infer<typeof Layer>;
export type LayerInput = z.input<typeof Layer>;
export type LayerKind = Layer["kind"];
export type LayerOf<K extends LayerKind> = Extract<Layer, { kind: K }>;
export const LAYER_KINDS = Layer.options.map((o) => o.shape.kind.value) as LayerKind[];

/** A tensor shape without the batch dimension: `[C, H, W]` for images, `[F]` for features. */
export type Shape = readonly number[];

export const ModelSpec = z
  .object({
    format: z
      .enum([MODEL_FORMAT, MODEL_FORMAT_V1])
      .default(MODEL_FORMAT)
      .transform((): typeof MODEL_FORMAT => MODEL_FORMAT),
    name: z.string().max(200).optional(),
    /** Channels-first, as PyTorch: `[1, 28, 28]` for MNIST. */
    input: z.object({ shape: z.array(int(1)).min(1).max(3) }).strict(),
    /** In an order where every layer comes after the layers it takes inputs from; the last one gives the logits. */
    layers: z.array(Layer),
    /** One name per output of the last layer; their count is the number of classes. */
    classes: z.array(z.string().min(1)).min(2),
  })
  .strict();
export type ModelSpec = z.infer<typeof ModelSpec>;
export type ModelSpecInput = z.input<typeof ModelSpec>;
