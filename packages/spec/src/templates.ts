import { z } from "zod";
import { LayerStack } from "./builder";
import type { TrainingConfigInput } from "./config";
import { describeIssue, formatPath, valueAt } from "./issues";
import { type Activation, MODEL_FORMAT, ModelSpec, type Shape } from "./model";
import { errorProblem, type Problem } from "./problems";
import { basicBlock } from "./residual";

/** Every template's id, in the order the builder lists them. */
export const TEMPLATE_IDS = [
  "mlp",
  "cnn",
  "deep-cnn",
  "simple-nn",
  "conv-nn",
  "cnn-4",
  "lenet-5",
  "cifar-small",
  "resnet-mnist",
  "resnet-20",
] as const;
/** The id of a built-in template. */
export type TemplateId = (typeof TEMPLATE_IDS)[number];

/** What a template takes from the dataset: the input shape and the class names are never the template's. */
export const TemplateData = z.object({
  inputShape: z.array(z.number().int().min(1)).min(1).max(3),
  classes: z.array(z.string().min(1)).min(2),
});
/** The dataset facts a template is built for. */
export type TemplateData = z.infer<typeof TemplateData>;

/** A one-click starting model. */
export interface ModelTemplate<O extends z.ZodType = z.ZodType> {
  id: TemplateId;
  name: string;
  /** One sentence for a learner: what it is and when to pick it. */
  description: string;
  /** Where it comes from (a seed document, a paper, a benchmark). */
  source: string;
  /** Its options, each with a default, so `options.parse({})` gives the standard model. */
  options: O;
  /** Builds the spec for this dataset; adapts to inputs too small for some layers. */
  build(data: TemplateData, options: z.output<O>): ModelSpec;
  /** A training config that suits it (merged over the defaults). */
  suggestedConfig?: TrainingConfigInput;
}

const relu: Activation = "relu";
const units = z.number().int().min(1).max(65536);
const hiddenLayers = z.array(units).max(16);
const NO_OPTIONS = z.object({}).strict();

/** The dataset's shape, with a channel dimension added to a bare [H,W]. */
function inputShapeOf(data: TemplateData): Shape {
  const shape = data.inputShape;
  return shape.length === 2 ? [1, ...shape] : [...shape];
}

function finish(name: string, data: TemplateData, stack: LayerStack): ModelSpec {
  return ModelSpec.parse({
    format: MODEL_FORMAT,
    name,
    input: { shape: inputShapeOf(data) },
    layers: stack.layers,
    classes: [...data.classes],
  });
}

const mlp: ModelTemplate<typeof NO_OPTIONS> = {
  id: "mlp",
  name: "MLP",
  description:
    "Flattens the image into pixels and passes it through two fully connected layers — the simplest network that learns MNIST well.",
  source: "seed 000 (MLP preset); the benchmark MLP 784-128-64-10 in DESIGN.md",
  options: NO_OPTIONS,
  build(data) {
    const s = new LayerStack(inputShapeOf(data));
    s.dense(128, relu);
    s.dense(64, relu);
    s.dense(data.classes.length);
    return finish("MLP", data, s);
  },
  suggestedConfig: { optimizer: "adam", learningRate: 1e-3, batchSize: 64, epochs: 5 },
};

const cnn: ModelTemplate<typeof NO_OPTIONS> = {
  id: "cnn",
  name: "CNN",
  description:
    "Two convolution and pooling stages find strokes and shapes, then a dense head classifies them — a big step up from the MLP on images.",
  source: "seed 000 (CNN preset); the benchmark CNN conv32-pool-conv64-pool-fc128 in DESIGN.md",
  options: NO_OPTIONS,
  build(data) {
    const s = new LayerStack(inputShapeOf(data));
    s.conv(32, 3, { activation: relu });
    s.pool("maxPool2d");
    s.conv(64, 3, { activation: relu });
    s.pool("maxPool2d");
    s.dense(128, relu);
    s.dense(data.classes.length);
    return finish("CNN", data, s);
  },
  suggestedConfig: { optimizer: "adam", learningRate: 1e-3, batchSize: 64, epochs: 5 },
};

const DeepCnnOptions = z
  .object({
    channels: z.array(units).min(1).max(6).default([32, 64, 128]).describe("Filters of each conv block."),
    dropout: z.number().min(0).lt(0.9).default(0.25).describe("Dropout after each conv block (0 for none)."),
    denseUnits: units.default(256).describe("Units of the hidden dense layer."),
  })
  .strict();

const deepCnn: ModelTemplate<typeof DeepCnnOptions> = {
  id: "deep-cnn",
  name: "Deep CNN",
  description:
    "Three conv blocks with batch normalisation and dropout, for harder datasets such as CIFAR-10 where the small CNN stalls.",
  source: "seed 000 (Deep CNN preset: conv blocks with batch norm and dropout)",
  options: DeepCnnOptions,
  build(data, options) {
    const s = new LayerStack(inputShapeOf(data));
    for (const channels of options.channels) {
      // No conv bias: the batch norm right after has its own shift.
      if (!s.conv(channels, 3, { padding: "same", bias: false })) continue;
      s.add({ kind: "batchNorm" });
      s.add({ kind: "activation", fn: "relu" });
      s.pool("maxPool2d");
      if (options.dropout > 0) s.add({ kind: "dropout", rate: options.dropout });
    }
    s.dense(options.denseUnits, relu);
    s.add({ kind: "dropout", rate: 0.5 });
    s.dense(data.classes.length);
    return finish("Deep CNN", data, s);
  },
  suggestedConfig: { optimizer: "adam", learningRate: 1e-3, batchSize: 64, epochs: 10, schedule: "cosine" },
};

const DenseHeadOptions = z
  .object({
    hidden: hiddenLayers.default([128]).describe("Units of each hidden dense layer."),
    dropout: z.boolean().default(false).describe("Dropout (p = 0.3) after each hidden layer."),
  })
  .strict();

/** The dropout rate seed 001's models use when dropout is on. */
const SEED_001_DROPOUT = 0.3;

function denseHead(s: LayerStack, hidden: readonly number[], dropout: boolean): void {
  for (const h of hidden) {
    s.dense(h, relu);
    if (dropout) s.add({ kind: "dropout", rate: SEED_001_DROPOUT });
  }
}

const simpleNn: ModelTemplate<typeof DenseHeadOptions> = {
  id: "simple-nn",
  name: "SimpleNN",
  description:
    "An MLP whose hidden layers you choose, with optional dropout — good for seeing how width and depth change learning.",
  source: "seed 001 (SimpleNN: MLP with customizable hidden layers, optional dropout p = 0.3)",
  options: DenseHeadOptions,
  build(data, options) {
    const s = new LayerStack(inputShapeOf(data));
    s.flatten();
    denseHead(s, options.hidden, options.dropout);
    s.dense(data.classes.length);
    return finish("SimpleNN", data, s);
  },
  suggestedConfig: { optimizer: "adam", learningRate: 1e-3, batchSize: 64, epochs: 5 },
};

const convNn: ModelTemplate<typeof DenseHeadOptions> = {
  id: "conv-nn",
  name: "ConvNN",
  description:
    "Two conv blocks that keep the image size, then the dense layers you choose — a CNN whose head you can experiment with.",
  source: "seed 001 (ConvNN: 2 conv blocks + linear head, customizable linear layers, optional dropout p = 0.3)",
  options: DenseHeadOptions,
  build(data, options) {
    const s = new LayerStack(inputShapeOf(data));
    for (const channels of [32, 64]) {
      if (s.conv(channels, 3, { padding: "same", activation: relu })) s.pool("maxPool2d");
    }
    s.flatten();
    denseHead(s, options.hidden, options.dropout);
    s.dense(data.classes.length);
    return finish("ConvNN", data, s);
  },
  suggestedConfig: { optimizer: "adam", learningRate: 1e-3, batchSize: 64, epochs: 5 },
};

const Cnn4Options = z
  .object({
    channels: z.array(units).length(4).default([8, 16, 32, 64]).describe("Filters of the four conv layers."),
  })
  .strict();

const cnn4: ModelTemplate<typeof Cnn4Options> = {
  id: "cnn-4",
  name: "4-layer CNN",
  description:
    "Four convolutions whose channel counts you set, pooled after every second one — made for comparing two variants side by side.",
  source: "seed 002 (MNIST CNN Playground: Conv2D channel sizes for all 4 layers)",
  options: Cnn4Options,
  build(data, options) {
    const s = new LayerStack(inputShapeOf(data));
    options.channels.forEach((channels, i) => {
      const added = s.conv(channels, 3, { padding: "same", activation: relu });
      if (added && i % 2 === 1) s.pool("maxPool2d");
    });
    s.dense(data.classes.length);
    return finish("4-layer CNN", data, s);
  },
  suggestedConfig: { optimizer: "adam", learningRate: 1e-3, batchSize: 64, epochs: 3 },
};

const LeNetOptions = z
  .object({
    activation: z.enum(["tanh", "relu"]).default("tanh").describe("tanh as in 1998, or relu as today."),
  })
  .strict();

/** LeNet-5 was designed for 32×32 images; MNIST's 28×28 digits were padded to that size. */
const LENET_INPUT_SIZE = 32;

const lenet5: ModelTemplate<typeof LeNetOptions> = {
  id: "lenet-5",
  name: "LeNet-5",
  description:
    "The classic 1998 digit recogniser: two 5×5 convolutions with average pooling and three dense layers, about 62 thousand weights.",
  source:
    "seed 002 wish list (pre-configured successful architectures); LeCun et al., Gradient-Based Learning Applied to Document Recognition, 1998",
  options: LeNetOptions,
  build(data, options) {
    const s = new LayerStack(inputShapeOf(data));
    const act = options.activation;
    const [, h = 0, w = 0] = s.shape;
    // 'same' on a 28×28 input is exactly the original's padding to 32×32.
    s.conv(6, 5, { padding: Math.min(h, w) < LENET_INPUT_SIZE ? "same" : "valid", activation: act });
    s.pool("avgPool2d");
    s.conv(16, 5, { activation: act });
    s.pool("avgPool2d");
    s.dense(120, act);
    s.dense(84, act);
    s.dense(data.classes.length);
    return finish("LeNet-5", data, s);
  },
  suggestedConfig: { optimizer: { name: "sgd", momentum: 0.9 }, learningRate: 0.01, batchSize: 64, epochs: 10 },
};

const CifarSmallOptions = z
  .object({
    dropout: z.boolean().default(true).describe("Dropout 0.25 after each conv block and 0.5 before the output."),
  })
  .strict();

const cifarSmall: ModelTemplate<typeof CifarSmallOptions> = {
  id: "cifar-small",
  name: "Small CIFAR net",
  description:
    "Two double-convolution blocks with dropout and a 512-unit head, a well-known small network that reaches about 75% on CIFAR-10.",
  source: "seed 000 (CIFAR-10 support); the Keras cifar10_cnn example",
  options: CifarSmallOptions,
  build(data, options) {
    const s = new LayerStack(inputShapeOf(data));
    for (const channels of [32, 64]) {
      if (!s.conv(channels, 3, { padding: "same", activation: relu })) continue;
      s.conv(channels, 3, { activation: relu });
      s.pool("maxPool2d");
      if (options.dropout) s.add({ kind: "dropout", rate: 0.25 });
    }
    s.dense(512, relu);
    if (options.dropout) s.add({ kind: "dropout", rate: 0.5 });
    s.dense(data.classes.length);
    return finish("Small CIFAR net", data, s);
  },
  suggestedConfig: {
    optimizer: "adam",
    learningRate: 1e-3,
    batchSize: 64,
    epochs: 25,
    augmentation: { shift: 0.1, horizontalFlip: true },
  },
};

const resnetMnist: ModelTemplate<typeof NO_OPTIONS> = {
  id: "resnet-mnist",
  name: "MNIST ResNet",
  description:
    "A convolution and two residual blocks whose shortcuts carry the input past two convolutions (the second halves the image through a strided 1×1 projection), then global average pooling — skip connections in a net small enough to train on MNIST in the browser.",
  source: "He et al., Deep Residual Learning for Image Recognition, 2015 (basic blocks, projection shortcut)",
  options: NO_OPTIONS,
  build(data) {
    const s = new LayerStack(inputShapeOf(data));
    if (s.conv(16, 3, { padding: "same", bias: false })) {
      s.add({ kind: "batchNorm" });
      s.add({ kind: "activation", fn: "relu", id: "stem" });
      basicBlock(s, { id: "block1", filters: 16, stride: 1 });
      basicBlock(s, { id: "block2", filters: 32, stride: 2 });
      s.add({ kind: "globalAvgPool" });
    }
    s.dense(data.classes.length);
    return finish("MNIST ResNet", data, s);
  },
  suggestedConfig: { optimizer: "adam", learningRate: 1e-3, batchSize: 64, epochs: 3 },
};

const ResNetOptions = z
  .object({
    blocks: z
      .number()
      .int()
      .min(1)
      .max(18)
      .default(3)
      .describe("Basic blocks per stage, n: the net has 6n + 2 layers (3: ResNet-20, 5: ResNet-32, 9: ResNet-56)."),
  })
  .strict();

const resnet20: ModelTemplate<typeof ResNetOptions> = {
  id: "resnet-20",
  name: "ResNet-20",
  description:
    "The CIFAR-10 ResNet: a convolution, three stages of three residual blocks with 16, 32 and 64 channels, global average pooling and one dense layer, about 0.27 million weights and 91% on CIFAR-10 in the paper.",
  source: "He et al., Deep Residual Learning for Image Recognition, 2015, section 4.2 (the CIFAR-10 networks)",
  options: ResNetOptions,
  build(data, options) {
    const s = new LayerStack(inputShapeOf(data));
    const depth = 6 * options.blocks + 2;
    if (s.conv(16, 3, { padding: "same", bias: false })) {
      s.add({ kind: "batchNorm" });
      s.add({ kind: "activation", fn: "relu", id: "stem" });
      // The paper's shortcuts are parameter-free (option A: identity, zero-padded channels at the two stage
      // changes). Here those two shortcuts are 1×1 conv projections with batch norm (option B), which a graph
      // of conv and add expresses directly; they add 2,752 weights.
      [16, 32, 64].forEach((filters, stage) => {
        for (let b = 1; b <= options.blocks; b++) {
          const stride = stage > 0 && b === 1 ? 2 : 1;
          basicBlock(s, { id: `s${stage + 1}b${b}`, filters, stride });
        }
      });
      s.add({ kind: "globalAvgPool" });
    }
    s.dense(data.classes.length);
    return finish(`ResNet-${depth}`, data, s);
  },
  // The paper's recipe: SGD with momentum 0.9 and weight decay 1e-4, batch 128, learning rate 0.1 divided by 10
  // at 32k and 48k steps and stopped at 64k (epochs 82, 123 and 164 of 50,000 images: 391 steps each); 4-pixel
  // shifts (4/32 = 0.125) and horizontal flips.
  suggestedConfig: {
    optimizer: { name: "sgd", momentum: 0.9 },
    learningRate: 0.1,
    weightDecay: 1e-4,
    batchSize: 128,
    epochs: 164,
    schedule: { name: "step", gamma: 0.1, milestones: [82, 123] },
    augmentation: { shift: 0.125, horizontalFlip: true },
  },
};

/** Every template, keyed by id. */
export const TEMPLATES = {
  mlp,
  cnn,
  "deep-cnn": deepCnn,
  "simple-nn": simpleNn,
  "conv-nn": convNn,
  "cnn-4": cnn4,
  "lenet-5": lenet5,
  "cifar-small": cifarSmall,
  "resnet-mnist": resnetMnist,
  "resnet-20": resnet20,
} satisfies { [K in TemplateId]: ModelTemplate<z.ZodType> };

/** Whether `id` names a template. */
export function isTemplateId(id: unknown): id is TemplateId {
  return typeof id === "string" && (TEMPLATE_IDS as readonly string[]).includes(id);
}

/** The result of building a template from untrusted input. */
export interface TemplateBuild {
  spec: ModelSpec | null;
  problems: Problem<never>[];
}

/** Builds a template from untrusted input (a form, a URL); never throws. */
export function tryBuildTemplate(id: unknown, data: unknown, options?: unknown): TemplateBuild {
  if (!isTemplateId(id)) {
    const what = `there is no template ${typeof id === "string" ? `'${id}'` : "of that kind"}`;
    return {
      spec: null,
      problems: [errorProblem({ layer: null, field: "template", what, fix: `use one of ${TEMPLATE_IDS.join(", ")}` })],
    };
  }
  const template = TEMPLATES[id] as ModelTemplate<z.ZodType>;
  const problems: Problem<never>[] = [];
  const parsedData = TemplateData.safeParse(data);
  const parsedOptions = template.options.safeParse(options ?? {});
  for (const [prefix, root, result] of [
    ["data", data, parsedData],
    ["options", options ?? {}, parsedOptions],
  ] as const) {
    for (const issue of result.error?.issues ?? []) {
      const field = formatPath([prefix, ...issue.path]);
      problems.push(
        errorProblem({ layer: null, field, ...describeIssue(issue, valueAt(root, issue.path), field, `${id}: `) }),
      );
    }
  }
  if (!parsedData.success || !parsedOptions.success) return { spec: null, problems };
  return { spec: template.build(parsedData.data, parsedOptions.data), problems };
}

/** Builds template `id` for a dataset; throws an Error naming each bad field when data or options are invalid. */
export function buildTemplate(id: TemplateId, data: TemplateData, options?: unknown): ModelSpec {
  const built = tryBuildTemplate(id, data, options);
  if (built.spec === null) throw new Error(built.problems.map((p) => p.message).join("; "));
  return built.spec;
}
