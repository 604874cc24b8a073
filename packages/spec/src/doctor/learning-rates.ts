import type { OptimizerName } from "../config";

/** Where an optimizer's learning rate usually lies, for the doctor's advice and its sanity check. */
export interface OptimizerLearningRates {
  /** The optimizer as people write it: "Adam", "SGD". */
  label: string;
  /** The usual range in words, e.g. "1e-4–3e-3"; it quotes `min` and `max`. */
  usual: string;
  /** The usual range's lower end. */
  min: number;
  /** The usual range's upper end. */
  max: number;
  /** A good first value; the config check's one-click fix sets it. */
  typical: number;
  /** From here up the rate almost surely diverges or stalls at chance. */
  tooHigh: number;
}

/**
 * Usual learning rates per optimizer. Adaptive methods divide by the gradient's
 * scale, so their steps are about `lr` per weight whatever the loss: 0.05 is
 * already huge. Plain SGD's steps scale with the gradient, so it tolerates ~1.
 */
export const OPTIMIZER_LEARNING_RATES: Readonly<Record<OptimizerName, OptimizerLearningRates>> = {
  adam: { label: "Adam", usual: "about 1e-3 (1e-4–3e-3)", min: 1e-4, max: 3e-3, typical: 1e-3, tooHigh: 0.05 },
  adamw: { label: "AdamW", usual: "about 1e-3 (1e-4–3e-3)", min: 1e-4, max: 3e-3, typical: 1e-3, tooHigh: 0.05 },
  rmsprop: { label: "RMSprop", usual: "about 1e-3 (1e-4–3e-3)", min: 1e-4, max: 3e-3, typical: 1e-3, tooHigh: 0.05 },
  sgd: { label: "SGD", usual: "0.01–0.1", min: 0.01, max: 0.1, typical: 0.1, tooHigh: 1 },
  adagrad: { label: "Adagrad", usual: "0.01–0.1", min: 0.01, max: 0.1, typical: 0.01, tooHigh: 1 },
};

/** `lr` moved to the nearest end of the optimizer's usual range when it lies outside it. */
export function clampToUsualRange(lr: number, range: OptimizerLearningRates): number {
  return Math.min(range.max, Math.max(range.min, lr));
}
