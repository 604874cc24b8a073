import { z } from "zod";
import { DEFAULT_KEEP_EPOCH_CHECKPOINTS, MAX_KEEP_EPOCH_CHECKPOINTS } from "./epoch-checkpoints";

/*
 * The training config. This one table is the configuration surface: the CLI
 * flags, the API's JSON schema and the web form's fields and help texts are
 * generated from it (its `describe`/`meta` texts, read by `fieldsOf`), not kept
 * by hand. Every field's description says what it does and what is usual.
 */

export const SgdOptimizer = z
  .object({
    name: z.literal("sgd"),
    momentum: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .meta({ description: "Momentum factor: 0 is plain SGD; 0.9 is usual (0.8 – 0.99).", recommended: "0.9" }),
    nesterov: z
      .boolean()
      .default(false)
      .describe("Use Nesterov momentum (needs momentum > 0); usually a little better than plain momentum at 0.9."),
  })
  .strict();
const adamFields = {
  beta1: z
    .number()
    .min(0)
    .lt(1)
    .default(0.9)
    .describe("Decay of the first-moment (mean) estimate; 0.9 is usual (0.8 – 0.95)."),
  beta2: z
    .number()
    .min(0)
    .lt(1)
    .default(0.999)
    .describe("Decay of the second-moment estimate; 0.999 is usual (0.98 – 0.9999, lower if training is unstable)."),
  epsilon: z
    .number()
    .positive()
    .default(1e-8)
    .describe("Added to the denominator for numerical stability; 1e-8 is usual (1e-8 – 1e-6)."),
};
export const AdamOptimizer = z.object({ name: z.literal("adam"), ...adamFields }).strict();
export const AdamWOptimizer = z.object({ name: z.literal("adamw"), ...adamFields }).strict();
export const RmspropOptimizer = z
  .object({
    name: z.literal("rmsprop"),
    alpha: z
      .number()
      .min(0)
      .lt(1)
      .default(0.99)
      .describe("Decay of the squared-gradient average; 0.99 is usual (0.9 – 0.999)."),
    epsilon: z
      .number()
      .positive()
      .default(1e-8)
      .describe("Added to the denominator for numerical stability; 1e-8 is usual (1e-8 – 1e-6)."),
    momentum: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe("Momentum factor: 0 is plain RMSprop; 0.9 is usual when used (0 – 0.9)."),
  })
  .strict();
export const AdagradOptimizer = z
  .object({
    name: z.literal("adagrad"),
    epsilon: z
      .number()
      .positive()
      .default(1e-10)
      .describe("Added to the denominator for numerical stability; 1e-10 is usual (1e-10 – 1e-8)."),
    initialAccumulator: z
      .number()
      .min(0)
      .default(0)
      .describe("Starting value of the squared-gradient sums; 0 is usual (0 – 0.1, larger damps the first steps)."),
  })
  .strict();

export const OPTIMIZER_NAMES = ["sgd", "adam", "adamw", "rmsprop", "adagrad"] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** An optimizer is `{name, ...hyperparameters}`; a bare name means its defaults. */
export const Optimizer = z.preprocess(
  (v) => (typeof v === "string" ? { name: v } : v),
  z.discriminatedUnion("name", [SgdOptimizer, AdamOptimizer, AdamWOptimizer, RmspropOptimizer, AdagradOptimizer]),
);
export type Optimizer = z.infer<typeof Optimizer>;

const warmup = {
  warmupEpochs: z.number().min(0).default(0).meta({
    description:
      "Epochs of linear warm-up up to the learning rate before the schedule starts; 0 – 2 is usual (more for large batches).",
    recommended: "0 – 2",
  }),
};
export const ConstantSchedule = z.object({ name: z.literal("constant"), ...warmup }).strict();
export const StepSchedule = z
  .object({
    name: z.literal("step"),
    gamma: z.number().positive().default(0.1).meta({
      title: "Factor (gamma)",
      description: "Multiplies the learning rate at each milestone; 0.1 is usual (0.1 – 0.5).",
    }),
    milestones: z.array(z.number().int().min(1)).default([]).meta({
      title: "Milestones (epochs)",
      description:
        "Epochs after which the learning rate is multiplied by the factor, comma-separated; usually at about half and three quarters of the run (30, 45 of 60). None: the rate stays constant.",
    }),
    ...warmup,
  })
  .strict();
export const ExponentialSchedule = z
  .object({
    name: z.literal("exponential"),
    gamma: z
      .number()
      .positive()
      .max(1)
      .default(0.95)
      .describe("Factor applied after every epoch; 0.9 – 0.99 is usual (0.95 halves the rate in about 14 epochs)."),
    ...warmup,
  })
  .strict();
export const CosineSchedule = z
  .object({
    name: z.literal("cosine"),
    minLearningRate: z
      .number()
      .min(0)
      .default(0)
      .describe("Learning rate reached at the last step; 0 is usual (up to 1% of the learning rate)."),
    ...warmup,
  })
  .strict();

export const SCHEDULE_NAMES = ["constant", "step", "exponential", "cosine"] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

/** A schedule is `{name, ...}`; a bare name means its defaults. */
export const Schedule = z.preprocess(
  (v) => (typeof v === "string" ? { name: v } : v),
  z.discriminatedUnion("name", [ConstantSchedule, StepSchedule, ExponentialSchedule, CosineSchedule]),
);
export type Schedule = z.infer<typeof Schedule>;

export const EarlyStopping = z
  .object({
    metric: z.enum(["val_loss", "val_acc"]).default("val_loss").meta({
      title: "Watch",
      description: "Validation number watched for improvement; val_loss is usual.",
    }),
    patience: z.number().int().min(1).default(5).meta({
      title: "Patience (epochs)",
      description: "Epochs in a row without improvement before the run stops.",
      recommended: "3 – 10",
    }),
    minDelta: z.number().min(0).default(0).meta({
      title: "Min delta",
      description:
        "Smallest change of the watched number that counts as an improvement; 0 is usual (1e-3 ignores tiny wiggles).",
    }),
  })
  .strict();
export type EarlyStopping = z.infer<typeof EarlyStopping>;

/** Per-batch, seeded augmentation; every field 0/false means none. */
export const Augmentation = z
  .object({
    shift: z
      .number()
      .min(0)
      .max(0.5)
      .default(0)
      .meta({ description: "Random shift, as a fraction of width/height.", recommended: "0 – 0.1" }),
    rotation: z
      .number()
      .min(0)
      .max(180)
      .default(0)
      .meta({ description: "Random rotation, in degrees either way.", recommended: "0 – 15°" }),
    zoom: z
      .number()
      .min(0)
      .max(0.5)
      .default(0)
      .meta({ description: "Random zoom in or out, as a fraction.", recommended: "0 – 0.1" }),
    horizontalFlip: z.boolean().default(false).describe("Mirror half the images (not for digits)."),
    cutout: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .meta({ description: "Side of a random erased square, as a fraction.", recommended: "0 – 0.3" }),
  })
  .strict();
export type Augmentation = z.infer<typeof Augmentation>;

/**
 * How input pixels are standardised after scaling to [0, 1]: by the training
 * split's mean/std per channel, by one mean/std over all channels, or not at all.
 */
export const NORMALIZATION_MODES = ["per-channel", "global", "none"] as const;
export type NormalizationMode = (typeof NORMALIZATION_MODES)[number];

/*
 * In `meta`, `title` is a field's name in the form (else its key in words) and
 * `recommended` is what learners usually pick, shown next to the input.
 */
export const TrainingConfig = z
  .object({
    optimizer: Optimizer.default({ name: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }).describe(
      "How the weights are updated from the gradients.",
    ),
    learningRate: z.number().positive().max(10).default(1e-3).meta({
      title: "Learning rate",
      description: "Step size; 1e-3 suits Adam, 0.01–0.1 suits SGD.",
      recommended: "Adam 1e-4 – 3e-3 · SGD 0.01 – 0.1",
    }),
    schedule: Schedule.default({ name: "constant", warmupEpochs: 0 }).meta({
      title: "LR schedule",
      description: "How the learning rate changes over the run.",
    }),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(65536)
      .default(64)
      .meta({ title: "Batch size", description: "Samples per step; 32–256 is usual.", recommended: "32 – 256" }),
    epochs: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(5)
      .meta({ description: "Passes over the training data.", recommended: "1 – 20 in a browser" }),
    weightDecay: z.number().min(0).max(1).default(0).meta({
      title: "Weight decay",
      description: "L2 penalty (decoupled for AdamW); 1e-4 is a gentle start.",
      recommended: "0 – 1e-3",
    }),
    labelSmoothing: z.number().min(0).lt(1).default(0).meta({
      title: "Label smoothing",
      description: "Mixes this much of a uniform target into the labels.",
      recommended: "0 – 0.1",
    }),
    earlyStopping: EarlyStopping.nullable()
      .default(null)
      .describe(
        "Stop the run early when the validation loss or accuracy stops improving; when off, every epoch is trained.",
      ),
    validationSplit: z.number().min(0).lt(1).default(0.1).meta({
      title: "Validation split",
      description: "Share of the training data held out to validate each epoch.",
      recommended: "0.1 – 0.2",
    }),
    crossValidation: z
      .object({
        folds: z.number().int().min(2).max(10).meta({ description: "Parts the training data is cut into." }),
        fold: z.number().int().min(0).max(9).meta({ description: "The part held out for validation (0-based)." }),
      })
      .strict()
      .refine((cv) => cv.fold < cv.folds, {
        message: "fold must be below folds (folds are numbered from 0)",
        path: ["fold"],
      })
      .nullable()
      .default(null)
      .meta({
        title: "Cross-validation fold",
        description:
          "Validate on one of k equal, stratified parts of the training data instead of a random share; a k-fold run trains k of these.",
      }),
    normalization: z.enum(NORMALIZATION_MODES).default("per-channel").meta({
      title: "Input normalization",
      description:
        "How pixels are standardised after scaling to [0, 1]: per-channel mean/std of the training data (recommended), one global mean/std, or none.",
    }),
    augmentation: Augmentation.default({ shift: 0, rotation: 0, zoom: 0, horizontalFlip: false, cutout: 0 }).describe(
      "Random changes to each training batch, seeded; all 0/off means none.",
    ),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0)
      .describe("Seeds initialisation, shuffling, dropout and augmentation."),
    keepEpochCheckpoints: z
      .number()
      .int()
      .min(0)
      .max(MAX_KEEP_EPOCH_CHECKPOINTS)
      .default(DEFAULT_KEEP_EPOCH_CHECKPOINTS)
      .meta({
        title: "Epoch checkpoints kept",
        description:
          "Epochs whose weights are kept, spread from the first to the last, to scrub back through training on the run's page; 0 keeps none.",
        recommended: "10 – 50",
      }),
  })
  .strict();
export type TrainingConfig = z.infer<typeof TrainingConfig>;
export type TrainingConfigInput = z.input<typeof TrainingConfig>;

/** The config with every default filled in. */
export function defaultTrainingConfig(): TrainingConfig {
  return TrainingConfig.parse({});
}
