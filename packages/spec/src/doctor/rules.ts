import type { TrainingConfig } from "../config";
import { layerLabel } from "../layer-label";
import { learningRateRangeOf } from "../learning-rate-ranges";
import type { ModelSpec } from "../model";
import type { ConfigEdit } from "../validateConfig";
import { argMin, lastImprovement, mean, num, pct } from "./curve-math";
import { finding } from "./finding";
import {
  addCapacity,
  addDropout,
  firstSaturating,
  layerName,
  type NamedFix,
  scaleLearningRate,
  setActivation,
} from "./fixes";
import { addOfRelus, deepWithoutSkips } from "./graph-rules";
import { OPTIMIZER_LEARNING_RATES } from "./learning-rates";
import { EXPLODING_GRADIENT_NORM, VANISHING_GRADIENT_NORM } from "./thresholds";
import type { DiagnoseInput, DoctorFinding } from "./types";

/** What every rule sees: the input with spec and config parsed (null when they do not parse). */
export interface RuleContext extends DiagnoseInput {
  spec: ModelSpec | null;
  config: TrainingConfig | null;
  /** Ids of the findings of the rules that ran before. */
  found: ReadonlySet<string>;
}

/** A rule: at most one finding. */
export type Rule = (ctx: RuleContext) => DoctorFinding | null;

/** Epochs the curve rules want before they judge a trend. */
export const MIN_EPOCHS_FOR_TRENDS = 3;
/** Epochs without a 1% improvement that make a plateau. */
export const PLATEAU_EPOCHS = 3;
/** Share of never-active units above which a ReLU layer is called dead. */
export const DEAD_UNIT_SHARE = 0.5;
/** Ratio of the largest to the smallest class above which the classes are called imbalanced. */
export const IMBALANCE_RATIO = 3;
/** An accuracy at most this many times 1/C (C classes) counts as guessing. */
export const CHANCE_MARGIN = 1.1;
/** A loss above this many times ln C (the loss of a uniform guess) is far worse than guessing. */
export const GUESS_LOSS_FACTOR = 1.5;
/** A last epoch loss above this many times the first one (and the highest yet) means training made things worse. */
export const WORSE_THAN_START = 1.1;
/**
 * Optimizer steps a run needs before "learned nothing" may be said of it. A model that has taken a few
 * steps scores about chance whatever its setup: a CNN with SGD at 0.01 (a usual rate) on the built-in
 * shapes was still at 34% (chance 33%) after 10 steps and left chance only after about 25.
 */
export const MIN_STEPS_TO_JUDGE_LEARNING = 50;

const trainLosses = (ctx: RuleContext) => ctx.history.map((h) => h.trainLoss);
const valLosses = (ctx: RuleContext) =>
  ctx.history.every((h) => h.valLoss !== null) ? ctx.history.map((h) => h.valLoss as number) : null;

/** NaN or infinite losses, or a loss that has grown to several times its start. */
export const divergence: Rule = (ctx) => {
  const losses = [...trainLosses(ctx), ...(ctx.batches ?? [])];
  const badEpoch = ctx.history.find(
    (h) => !Number.isFinite(h.trainLoss) || (h.valLoss !== null && !Number.isFinite(h.valLoss)),
  );
  const badFinal =
    ctx.final?.testLoss !== undefined && ctx.final.testLoss !== null && !Number.isFinite(ctx.final.testLoss);
  let evidence: string | null = null;
  if (badEpoch) evidence = `The loss in epoch ${badEpoch.epoch} is ${badEpoch.trainLoss} (not a number or infinite).`;
  else if (losses.some((l) => !Number.isFinite(l))) evidence = "A batch loss became NaN or infinite.";
  else if (badFinal) evidence = `The test loss is ${ctx.final?.testLoss}.`;
  else {
    const b = ctx.batches ?? [];
    if (b.length >= 5 && b.at(-1)! > 2 * b[0]! && b.at(-1)! > 2 * Math.min(...b)) {
      evidence = `The batch loss grew from ${num(b[0]!)} to ${num(b.at(-1)!)}, more than twice where it started.`;
    } else {
      const t = trainLosses(ctx);
      if (t.length >= 2 && t.at(-1)! > 1.5 * t[0]!) {
        evidence = `The training loss grew from ${num(t[0]!)} in epoch 1 to ${num(t.at(-1)!)} in epoch ${t.length}.`;
      }
    }
  }
  if (!evidence) return null;
  return finding(
    { id: "divergence", severity: "problem", title: "Training diverged", evidence },
    "The steps are too big for this network: start again with a learning rate ten times lower, or add batch normalisation.",
    ctx.config && scaleLearningRate(ctx.config, 0.1),
  );
};

/** Loss jumping up often between logged batches, or rising between epochs, without getting better overall. */
export const learningRateTooHigh: Rule = (ctx) => {
  if (ctx.found.has("divergence")) return null;
  let evidence: string | null = null;
  const b = ctx.batches ?? [];
  if (b.length >= 12) {
    const jumps = b.slice(1).filter((l, i) => l > 1.3 * b[i]!).length;
    const third = Math.floor(b.length / 3);
    const progress = mean(b.slice(-third)) / mean(b.slice(0, third));
    if (jumps / (b.length - 1) >= 0.2 && progress > 0.85) {
      evidence = `The batch loss jumped up by more than 30% ${jumps} times in ${b.length} readings, and the last third averages ${num(mean(b.slice(-third)))} against ${num(mean(b.slice(0, third)))} in the first third.`;
    }
  }
  const t = trainLosses(ctx);
  const rises = t.slice(1).flatMap((l, i) => (l > 1.05 * t[i]! ? [i + 2] : []));
  if (!evidence && t.length >= MIN_EPOCHS_FOR_TRENDS && rises.length >= 2) {
    evidence = `The training loss went up in epochs ${rises.join(", ")} instead of going down.`;
  }
  if (!evidence) return null;
  return finding(
    { id: "lr-too-high", severity: "warning", title: "Learning rate too high", evidence },
    "The loss bounces around instead of settling: smaller steps let it descend steadily.",
    ctx.config && scaleLearningRate(ctx.config, 0.3),
  );
};

/** Loss falling steadily but slowly, along an almost straight line: the steps are too small. */
export const learningRateTooLow: Rule = (ctx) => {
  const t = trainLosses(ctx);
  if (t.length < 4 || !t.slice(1).every((l, i) => l < t[i]!)) return null;
  const mid = Math.floor((t.length - 1) / 2);
  const first = t[0]! - t[mid]!;
  const second = t[mid]! - t.at(-1)!;
  const perEpoch = [first / mid, second / (t.length - 1 - mid)];
  const drop = (t[0]! - t.at(-1)!) / t[0]!;
  const accuracy = ctx.history.at(-1)!.trainAccuracy;
  if (perEpoch[1]! < 0.7 * perEpoch[0]! || drop >= 0.5 || accuracy >= 0.9) return null;
  return finding(
    {
      id: "lr-too-low",
      severity: "warning",
      title: "Learning rate too low",
      evidence: `The training loss fell only from ${num(t[0]!)} to ${num(t.at(-1)!)} in ${t.length} epochs (${pct(drop)}), by about ${num((t[0]! - t.at(-1)!) / (t.length - 1))} per epoch, and it is not slowing down; training accuracy is ${pct(accuracy)}.`,
    },
    "A steady straight-line descent means each step is small: larger steps get there in fewer epochs.",
    ctx.config && scaleLearningRate(ctx.config, 3),
  );
};

/** A metric reading and the words for where it comes from. */
interface Reading {
  value: number;
  where: string;
}

/**
 * The run's latest accuracy: the final test accuracy once there, else the last
 * epoch's validation (or training) accuracy. One epoch is too early to call it.
 */
function endAccuracy(ctx: RuleContext): Reading | null {
  const test = ctx.final?.testAccuracy;
  if (test !== undefined && test !== null) return { value: test, where: "test accuracy" };
  const last = ctx.history.at(-1);
  if (!last || ctx.history.length < 2) return null;
  return last.valAccuracy !== null
    ? { value: last.valAccuracy, where: `validation accuracy in epoch ${last.epoch}` }
    : { value: last.trainAccuracy, where: `training accuracy in epoch ${last.epoch}` };
}

/** The run's latest held-out loss: the final test loss once there, else the last epoch's validation loss. */
function endHeldOutLoss(ctx: RuleContext): Reading | null {
  const test = ctx.final?.testLoss;
  if (test !== undefined && test !== null) return { value: test, where: "test loss" };
  const last = ctx.history.at(-1);
  return last && last.valLoss !== null
    ? { value: last.valLoss, where: `validation loss in epoch ${last.epoch}` }
    : null;
}

/**
 * After training the model is no better than guessing: accuracy at chance
 * (1/C), a loss far above ln C (what predicting 1/C for every class scores,
 * i.e. the loss at initialisation), or a loss that ended above where it began.
 * Short runs count too: the final test metrics stand in for the curves. A run
 * known to have taken fewer than MIN_STEPS_TO_JUDGE_LEARNING steps is too short to tell.
 */
export const learnedNothing: Rule = (ctx) => {
  if (ctx.found.has("divergence")) return null;
  if (ctx.steps !== undefined && ctx.steps < MIN_STEPS_TO_JUDGE_LEARNING) return null;
  const parts: string[] = [];
  const classes = ctx.spec?.classes.length ?? 0;
  const lastTrain = ctx.history.at(-1)?.trainLoss;
  if (classes >= 2) {
    const chance = 1 / classes;
    const guess = Math.log(classes);
    const far = GUESS_LOSS_FACTOR * guess;
    const accuracy = endAccuracy(ctx);
    if (accuracy && accuracy.value <= CHANCE_MARGIN * chance) {
      parts.push(
        `The ${accuracy.where} is ${pct(accuracy.value)}, no better than guessing among ${classes} classes (${pct(chance)}).`,
      );
    }
    if (lastTrain !== undefined && lastTrain > far) {
      parts.push(
        `The training loss ends at ${num(lastTrain)}, ${num(lastTrain / guess)} times ${num(guess)} (ln ${classes}), the loss of a uniform guess and of an untrained model.`,
      );
    }
    // A high held-out loss next to a low training loss is overfitting, not this.
    const held = endHeldOutLoss(ctx);
    const notFitting = lastTrain === undefined || lastTrain >= guess || parts.length > 0;
    if (held && held.value > far && notFitting) {
      parts.push(`The ${held.where} is ${num(held.value)}, against ${num(guess)} for a uniform guess.`);
    }
  }
  const t = trainLosses(ctx);
  if (t.length >= 2 && t.at(-1)! > WORSE_THAN_START * t[0]! && t.at(-1)! >= Math.max(...t)) {
    parts.push(`The training loss rose from ${num(t[0]!)} in epoch 1 to ${num(t.at(-1)!)} in epoch ${t.length}.`);
  }
  if (parts.length === 0) return null;
  const config = ctx.config;
  const range = config && OPTIMIZER_LEARNING_RATES[config.optimizer.name];
  const sgdToo = config?.optimizer.name === "sgd" ? "" : `; SGD usually wants ${OPTIMIZER_LEARNING_RATES.sgd.usual}`;
  const advice =
    config && range
      ? config.learningRate >= range.tooHigh
        ? ` ${range.label} at ${config.learningRate} is far above its usual range (${range.usual})${sgdToo}.`
        : ` ${range.label} usually wants ${range.usual}${sgdToo}; if the rate is already there, check that the labels match the images.`
      : " Adam usually wants about 1e-3, SGD 0.01–0.1.";
  return finding(
    {
      id: "learned-nothing",
      severity: "problem",
      title: "The model learned nothing: it does no better than guessing",
      evidence: parts.join(" "),
    },
    `Steps that are too big throw the weights past every minimum, so the model ends worse than where it started.${advice}`,
    // The advice quotes the usual range, so the fix lands inside it.
    config && scaleLearningRate(config, 0.1, true),
  );
};

/** Where the run list files a rate, so a person can find the runs that shared it: " The run list files it under very-high: 0.01 ≤ lr." */
function rangeInRunList(lr: number): string {
  const range = learningRateRangeOf(lr);
  return range ? ` The run list files it under ${range.label}.` : "";
}

/** From the config alone, before any training: a learning rate far above the optimizer's usual range. */
export const learningRateOutOfRange: Rule = (ctx) => {
  const config = ctx.config;
  // Once training showed the damage, that finding (with its own fix) says it better.
  if (!config || ctx.found.has("divergence") || ctx.found.has("learned-nothing")) return null;
  const range = OPTIMIZER_LEARNING_RATES[config.optimizer.name];
  if (config.learningRate < range.tooHigh) return null;
  return finding(
    {
      id: "lr-out-of-range",
      severity: "warning",
      title: `Learning rate far too high for ${range.label}`,
      evidence: `The learning rate is ${config.learningRate} with ${range.label}, whose usual range is ${range.usual}; from ${range.tooHigh} up training usually diverges or stalls at chance.${rangeInRunList(config.learningRate)}`,
    },
    `Start from ${range.label}'s usual value and tune by factors of 3 from there.`,
    {
      words: `set the learning rate to ${range.typical}`,
      fix: { op: "setConfigField", field: "learningRate", value: range.typical },
    },
  );
};

/** Both accuracies low and the loss no longer falling after several epochs: the model is too small or too constrained. */
export const underfitting: Rule = (ctx) => {
  const h = ctx.history;
  // A model stuck at chance is a learning-rate or data problem, not one of capacity.
  if (h.length < MIN_EPOCHS_FOR_TRENDS || ctx.found.has("divergence") || ctx.found.has("learned-nothing")) return null;
  const last = h.at(-1)!;
  const mid = h[Math.floor((h.length - 1) / 2)]!;
  const lateDrop = (mid.trainLoss - last.trainLoss) / mid.trainLoss;
  const lowVal = last.valAccuracy === null || last.valAccuracy < 0.7;
  if (last.trainAccuracy >= 0.7 || !lowVal || lateDrop >= 0.1) return null;
  const classes = ctx.spec?.classes.length;
  const chance = classes ? ` (guessing would give ${pct(1 / classes)})` : "";
  const val = last.valAccuracy === null ? "" : ` and validation accuracy ${pct(last.valAccuracy)}`;
  return finding(
    {
      id: "underfitting",
      severity: "warning",
      title: "Underfitting: the model does not learn the training data",
      evidence: `After ${h.length} epochs training accuracy is ${pct(last.trainAccuracy)}${val}${chance}, and the training loss fell only ${pct(Math.max(0, lateDrop))} over the second half (${num(mid.trainLoss)} → ${num(last.trainLoss)}).`,
    },
    "The model cannot fit even the data it sees: give it more capacity, train longer, or reduce regularisation (dropout, weight decay).",
    ctx.spec && addCapacity(ctx.spec),
  );
};

/** Validation loss rising while training loss falls, or a growing train/validation accuracy gap. */
export const overfitting: Rule = (ctx) => {
  const val = valLosses(ctx);
  const h = ctx.history;
  if (!val || h.length < MIN_EPOCHS_FOR_TRENDS) return null;
  const parts: string[] = [];
  const best = argMin(val);
  const t = trainLosses(ctx);
  if (best <= h.length - 3 && val.at(-1)! > 1.1 * val[best]! && t.at(-1)! < t[best]!) {
    parts.push(
      `Validation loss was lowest in epoch ${h[best]!.epoch} (${num(val[best]!)}) and has risen to ${num(val.at(-1)!)}, while training loss kept falling (${num(t[best]!)} → ${num(t.at(-1)!)}).`,
    );
  }
  const gap = (e: (typeof h)[number]) => e.trainAccuracy - (e.valAccuracy ?? e.trainAccuracy);
  const lastGap = gap(h.at(-1)!);
  if (lastGap > 0.1 && lastGap > gap(h[0]!) + 0.05) {
    parts.push(
      `Training accuracy is ${pct(h.at(-1)!.trainAccuracy)} but validation accuracy ${pct(h.at(-1)!.valAccuracy!)}: a gap of ${pct(lastGap)}, up from ${pct(gap(h[0]!))} in epoch 1.`,
    );
  }
  if (parts.length === 0) return null;
  const named =
    (ctx.spec && addDropout(ctx.spec)) ??
    (ctx.config
      ? {
          words: `set weight decay to ${ctx.config.weightDecay > 0 ? Math.min(1, ctx.config.weightDecay * 10) : 1e-4}`,
          fix: {
            op: "setConfigField",
            field: "weightDecay",
            value: ctx.config.weightDecay > 0 ? Math.min(1, ctx.config.weightDecay * 10) : 1e-4,
          } as ConfigEdit,
        }
      : null);
  return finding(
    {
      id: "overfitting",
      severity: "warning",
      title: "Overfitting: the model memorises the training data",
      evidence: parts.join(" "),
    },
    `It learns the training images rather than the classes: regularise it, add augmentation, or stop at the best epoch (epoch ${h[best]!.epoch} by validation loss).`,
    named,
  );
};

/** No improvement of the watched loss for several epochs. */
export const plateau: Rule = (ctx) => {
  const h = ctx.history;
  if (h.length < PLATEAU_EPOCHS + 2 || ctx.found.has("overfitting") || ctx.found.has("divergence")) return null;
  const val = valLosses(ctx);
  const series = val ?? trainLosses(ctx);
  const last = lastImprovement(series, 0.01);
  const stale = h.length - 1 - last;
  if (stale < PLATEAU_EPOCHS) return null;
  const which = val ? "validation" : "training";
  const config = ctx.config;
  let named: NamedFix<ConfigEdit> | null = null;
  if (config?.schedule.name === "constant") {
    named = {
      words: "use a cosine learning-rate schedule",
      fix: { op: "setConfigField", field: "schedule", value: { name: "cosine" } },
    };
  } else if (config && val && config.earlyStopping === null) {
    named = {
      words: "turn on early stopping with patience 3",
      fix: { op: "setConfigField", field: "earlyStopping", value: { metric: "val_loss", patience: 3 } },
    };
  } else if (config) {
    named = scaleLearningRate(config, 0.3);
  }
  return finding(
    {
      id: "plateau",
      severity: "info",
      title: "Plateau: no progress for several epochs",
      evidence: `The ${which} loss has not improved by 1% since epoch ${h[last]!.epoch} (${num(series[last]!)}); the last ${stale} epochs ended at ${series
        .slice(-stale)
        .map(num)
        .join(", ")}.`,
    },
    "More epochs at this learning rate will not help: decay the learning rate to settle deeper, or stop earlier.",
    named,
  );
};

/** Some classes have several times as many training images as others. */
export const classImbalance: Rule = (ctx) => {
  const counts = ctx.classCounts;
  if (!counts || counts.length < 2) return null;
  const max = Math.max(...counts);
  const min = Math.min(...counts);
  if (min > 0 && max / min < IMBALANCE_RATIO) return null;
  const name = (i: number) => (ctx.spec?.classes[i] ? `'${ctx.spec.classes[i]}'` : `class ${i}`);
  const small = name(counts.indexOf(min));
  const ratio = min > 0 ? `${num(max / min)} times as many` : "while the other has none";
  return finding(
    {
      id: "class-imbalance",
      severity: "warning",
      title: "Imbalanced classes",
      evidence: `${name(counts.indexOf(max))} has ${max} training images and ${small} only ${min} (${ratio}).`,
    },
    `The model can score well by mostly ignoring ${small}: collect or augment more images of the small classes, and judge the run by per-class recall in the confusion matrix, not by accuracy alone.`,
  );
};

/** ReLU layers in which most units never fire. */
export const deadRelus: Rule = (ctx) => {
  const dead = (ctx.deadUnits ?? [])
    .filter((d) => d.fraction >= DEAD_UNIT_SHARE)
    .sort((a, b) => b.fraction - a.fraction);
  if (dead.length === 0) return null;
  const worst = dead[0]!;
  const label = (layer: number) => (ctx.spec?.layers[layer] ? layerName(ctx.spec, layer) : layerLabel("layer", layer));
  return finding(
    {
      id: "dead-relu",
      severity: worst.fraction >= 0.9 ? "problem" : "warning",
      title: "Dead ReLUs",
      evidence: dead
        .map((d) => `${pct(d.fraction)} of the units of ${label(d.layer)} never fire on the sample batch.`)
        .join(" "),
    },
    "A ReLU that outputs 0 for every input gets no gradient and never recovers (often after too large a learning rate): a leaky ReLU keeps a small gradient, and a lower learning rate avoids killing units.",
    ctx.spec && setActivation(ctx.spec, worst.layer, "leakyRelu"),
  );
};

/** Gradient norms above the exploding threshold (or overflowed) in recent `gradients` events. */
export const explodingGradients: Rule = (ctx) => {
  const recent = (ctx.gradients ?? []).slice(-3).flatMap((g) => g.layers);
  const bad = recent.filter((l) => l.gradNorm === null || l.gradNorm > EXPLODING_GRADIENT_NORM);
  if (bad.length === 0) return null;
  const worst = bad.reduce((a, b) => ((a.gradNorm ?? Infinity) >= (b.gradNorm ?? Infinity) ? a : b));
  const value = worst.gradNorm === null ? "overflowed (NaN or infinite)" : `reached ${num(worst.gradNorm)}`;
  const label = ctx.spec?.layers[worst.layer] ? layerName(ctx.spec, worst.layer) : layerLabel("layer", worst.layer);
  return finding(
    {
      id: "exploding-gradients",
      severity: "problem",
      title: "Exploding gradients",
      evidence: `The gradient norm of ${label} ${value}, above ${num(EXPLODING_GRADIENT_NORM)}.`,
    },
    "Each update overshoots and the next gradient is larger still: lower the learning rate, add batch normalisation, or use Adam.",
    ctx.config && scaleLearningRate(ctx.config, 0.1),
  );
};

/** Gradient norms below the vanishing threshold in the latest `gradients` event. */
export const vanishingGradients: Rule = (ctx) => {
  const latest = ctx.gradients?.at(-1)?.layers ?? [];
  const tiny = latest.filter((l) => l.gradNorm !== null && l.gradNorm < VANISHING_GRADIENT_NORM);
  if (tiny.length === 0) return null;
  const label = (layer: number) => (ctx.spec?.layers[layer] ? layerName(ctx.spec, layer) : layerLabel("layer", layer));
  const saturating = ctx.spec ? firstSaturating(ctx.spec) : null;
  return finding(
    {
      id: "vanishing-gradients",
      severity: "warning",
      title: "Vanishing gradients",
      evidence:
        tiny.map((l) => `The gradient norm of ${label(l.layer)} is ${num(l.gradNorm!)}`).join("; ") +
        `, below ${num(VANISHING_GRADIENT_NORM)}: these layers have stopped learning.`,
    },
    "Gradients shrink on their way back through saturating activations and deep stacks: prefer ReLU, add batch normalisation, or use fewer layers.",
    ctx.spec && saturating !== null ? setActivation(ctx.spec, saturating, "relu") : null,
  );
};

/** Every rule, in the order they run (later rules may look at earlier findings). */
export const RULES: readonly Rule[] = [
  divergence,
  learnedNothing,
  explodingGradients,
  learningRateTooHigh,
  overfitting,
  learningRateTooLow,
  underfitting,
  plateau,
  vanishingGradients,
  deadRelus,
  classImbalance,
  learningRateOutOfRange,
  // After the gradient and fit rules, whose findings they mention.
  deepWithoutSkips,
  addOfRelus,
];
