import type { TrainingConfig } from "../config";
import type { SpecEdit } from "../edits";
import { layerGraph } from "../graph";
import { layerLabel } from "../layer-label";
import { type Layer, type ModelSpec, normalizeActivation } from "../model";
import type { ConfigEdit } from "../validateConfig";
import { blockEnd, insertAfter, insertBefore, keepsSpecValid } from "./graph-insert";
import { clampToUsualRange, OPTIMIZER_LEARNING_RATES } from "./learning-rates";

/*
 * The doctor's one-click fixes, built from the parsed spec and config so that
 * they say concretely what changes ("add dropout 0.3 after dense #1").
 */

/** A fix and the words for it. */
export interface NamedFix<F> {
  words: string;
  fix: F;
}

/** A learning rate rounded to one or two significant digits, as a person would type it. */
export function roundRate(lr: number): number {
  return Number(lr.toPrecision(lr >= 1e-2 ? 2 : 1));
}

/**
 * Sets the learning rate to `factor` × the current one, but lowering from far above
 * the optimizer's usual range lands at most on the range's upper end (a tenth of 5 is
 * still far too high for SGD). With `withinUsualRange` the
 * result is always inside the range, for advice that quotes it. Null when nothing would change.
 */
export function scaleLearningRate(
  config: TrainingConfig,
  factor: number,
  withinUsualRange = false,
): NamedFix<ConfigEdit> | null {
  const range = OPTIMIZER_LEARNING_RATES[config.optimizer.name];
  const lr = config.learningRate;
  let target = Math.min(10, lr * factor);
  if (withinUsualRange) target = clampToUsualRange(target, range);
  else if (factor < 1 && target > range.max) target = range.max;
  const value = roundRate(target);
  // Never turn a "lower it" fix into a raise (or the reverse) by clamping.
  if (value === lr || factor < 1 !== value < lr) return null;
  const verb = value < lr ? "lower" : "raise";
  return {
    words: `${verb} the learning rate from ${lr} to ${value}`,
    fix: { op: "setConfigField", field: "learningRate", value },
  };
}

/** A layer named as every view names it: "dense #2" is the spec's second layer. */
export function layerName(spec: ModelSpec, index: number): string {
  return layerLabel(spec.layers[index]!.kind, index);
}

/** Indices of the dense layers before the output layer. */
function hiddenDense(spec: ModelSpec): number[] {
  const last = spec.layers.length - 1;
  return spec.layers.flatMap((l, i) => (l.kind === "dense" && i < last ? [i] : []));
}

/** Adds dropout after the first hidden dense layer's block (or before the output layer when there is none). */
export function addDropout(spec: ModelSpec, rate = 0.3): NamedFix<SpecEdit> | null {
  if (spec.layers.some((l) => l.kind === "dropout")) return null;
  const dropout = { kind: "dropout", rate } as const;
  const [first] = hiddenDense(spec);
  if (first !== undefined) {
    const fix = insertAfter(spec, blockEnd(spec, layerGraph(spec.layers), first), dropout);
    return keepsSpecValid(spec, fix) ? { words: `add dropout ${rate} after ${layerName(spec, first)}`, fix } : null;
  }
  const output = spec.layers.length - 1;
  if (output < 1 || spec.layers[output]!.kind !== "dense") return null;
  const fix = insertBefore(spec, output, dropout);
  return fix && keepsSpecValid(spec, fix) ? { words: `add dropout ${rate} before the output layer`, fix } : null;
}

/**
 * Gives the model more capacity: doubles the first hidden dense layer that can grow (one feeding an add
 * cannot: the add's other input keeps its size), or adds one before the output layer.
 */
export function addCapacity(spec: ModelSpec): NamedFix<SpecEdit> | null {
  for (const index of hiddenDense(spec)) {
    const layer = spec.layers[index] as Extract<Layer, { kind: "dense" }>;
    const units = Math.min(4096, layer.units * 2);
    const fix: SpecEdit = { op: "setField", layer: index, field: "units", value: units };
    if (units === layer.units || !keepsSpecValid(spec, fix)) continue;
    return { words: `widen ${layerName(spec, index)} from ${layer.units} to ${units} units`, fix };
  }
  const output = spec.layers.length - 1;
  if (output < 0 || spec.layers[output]!.kind !== "dense") return null;
  const fix = insertBefore(spec, output, { kind: "dense", units: 128, activation: "relu" });
  if (!fix || !keepsSpecValid(spec, fix)) return null;
  return { words: "add a hidden dense layer of 128 ReLU units before the output layer", fix };
}

/** Switches a layer's ReLU (or sigmoid/tanh) to leaky ReLU or ReLU: the field to set depends on the kind. */
export function setActivation(spec: ModelSpec, index: number, fn: "leakyRelu" | "relu"): NamedFix<SpecEdit> | null {
  const layer = spec.layers[index];
  if (!layer) return null;
  const field =
    layer.kind === "activation" ? "fn" : layer.kind === "dense" || layer.kind === "conv2d" ? "activation" : null;
  if (!field) return null;
  return {
    words: `use ${fn === "leakyRelu" ? "leaky ReLU" : "ReLU"} in ${layerName(spec, index)}`,
    fix: { op: "setField", layer: index, field, value: fn },
  };
}

/** The first layer with a saturating activation (sigmoid or tanh), whose gradients vanish first. */
export function firstSaturating(spec: ModelSpec): number | null {
  const i = spec.layers.findIndex((l) => {
    if (l.kind === "activation") return l.fn === "sigmoid" || l.fn === "tanh";
    if ((l.kind === "dense" || l.kind === "conv2d") && l.activation) {
      const { fn } = normalizeActivation(l.activation);
      return fn === "sigmoid" || fn === "tanh";
    }
    return false;
  });
  return i < 0 ? null : i;
}
