import type { LayerKind } from "@layerlab/spec";

/*
 * Which glossary entry explains which control. A config path not listed
 * takes the entry of its nearest listed parent ("augmentation.zoom" →
 * "augmentation"); the glossary's test checks that every control lands on an
 * entry that exists.
 */

/** Training-config paths, as the form names its inputs, and their glossary entries. */
const CONFIG_TERMS: Readonly<Record<string, string>> = {
  learningRate: "learning-rate",
  batchSize: "batch-size",
  epochs: "epoch",
  weightDecay: "weight-decay",
  labelSmoothing: "label-smoothing",
  validationSplit: "validation",
  crossValidation: "k-fold",
  normalization: "normalisation",
  seed: "seed",
  keepEpochCheckpoints: "epoch",
  augmentation: "augmentation",
  earlyStopping: "early-stopping",
  optimizer: "optimizer",
  "optimizer.momentum": "momentum",
  "optimizer.nesterov": "momentum",
  "optimizer.beta1": "adam-betas",
  "optimizer.beta2": "adam-betas",
  "optimizer.epsilon": "epsilon",
  "optimizer.alpha": "rmsprop",
  "optimizer.initialAccumulator": "adagrad",
  schedule: "schedule",
  "schedule.warmupEpochs": "warmup",
};

/** The glossary entry of the config input at dotted `path`, or undefined when no entry covers it. */
export function configTerm(path: string): string | undefined {
  const keys = path.split(".");
  for (let n = keys.length; n > 0; n--) {
    const term = CONFIG_TERMS[keys.slice(0, n).join(".")];
    if (term) return term;
  }
  return undefined;
}

/** Each layer kind's glossary entry. */
const LAYER_KIND_TERMS: Readonly<Record<LayerKind, string>> = {
  dense: "dense",
  conv2d: "conv2d",
  maxPool2d: "pooling",
  avgPool2d: "pooling",
  globalAvgPool: "pooling",
  batchNorm: "batch-norm",
  dropout: "dropout",
  flatten: "flatten",
  activation: "activation",
  add: "add",
  concat: "concat",
};

/** Layer parameters by name; a parameter whose meaning depends on the kind is listed as `kind.name`. */
const LAYER_FIELD_TERMS: Readonly<Record<string, string>> = {
  units: "dense",
  bias: "bias",
  activation: "activation",
  filters: "filters",
  kernel: "kernel",
  stride: "stride",
  padding: "padding",
  size: "pooling",
  rate: "dropout",
  fn: "activation",
  alpha: "activation",
  "batchNorm.momentum": "batch-norm",
  "batchNorm.epsilon": "batch-norm",
};

/** The glossary entry of a layer kind, or undefined for a kind the glossary does not know. */
export function layerKindTerm(kind: string): string | undefined {
  return LAYER_KIND_TERMS[kind as LayerKind];
}

/** The glossary entry of parameter `field` of a `kind` layer, or undefined when none covers it. */
export function layerFieldTerm(kind: string, field: string): string | undefined {
  return LAYER_FIELD_TERMS[`${kind}.${field}`] ?? LAYER_FIELD_TERMS[field];
}
