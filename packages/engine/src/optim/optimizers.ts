import { OPTIMIZER_NAMES, Optimizer, type TrainingConfig } from "@layerlab/spec";
import {
  addDecayedWeights,
  addWeightDecay,
  chain,
  type GradientTransformation,
  type OptState,
  scaleByAdagrad,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  trace,
} from "./transform";

/*
 * Named optimizers as one-line chains of the pieces in ./transform, each
 * matching torch.optim (1.13) step for step, schedules included: the learning
 * rate is always applied last, to the whole direction, as PyTorch does.
 * https://pytorch.org/docs/1.13/optim.html
 */

type OptimizerConfig = TrainingConfig["optimizer"];
type Of<N extends OptimizerConfig["name"]> = Extract<OptimizerConfig, { name: N }>;

/** The transformation when `enabled`, nothing otherwise (a zero weight decay or momentum costs no state). */
const when = (enabled: boolean, t: () => GradientTransformation<OptState>) => (enabled ? [t()] : []);

/**
 * torch.optim.SGD: buf ← μ·buf + (g + wd·p), first buf = g; p ← p − lr·buf, or with
 * Nesterov p ← p − lr·(g + μ·buf). Dampening is 0.
 * NOTE: the lr multiplies the buffer rather than entering it (Sutskever et al. use v ← μ·v + lr·g),
 * which differs once the lr changes (https://pytorch.org/docs/1.13/generated/torch.optim.SGD.html).
 */
export function sgd({ momentum, nesterov }: Omit<Of<"sgd">, "name">, weightDecay: number) {
  if (nesterov && !(momentum > 0)) {
    throw new Error("optimizer.nesterov needs optimizer.momentum > 0 (0.9 is usual); set one or turn nesterov off");
  }
  return chain(
    ...when(weightDecay > 0, () => addWeightDecay(weightDecay)),
    ...when(momentum > 0, () => trace({ decay: momentum, nesterov })),
    scaleByLearningRate(),
  );
}

/** torch.optim.Adam: coupled L2 (g + wd·p enters both moments), bias-corrected, ε outside the square root. */
export const adam = (options: Omit<Of<"adam">, "name">, weightDecay: number) =>
  chain(...when(weightDecay > 0, () => addWeightDecay(weightDecay)), scaleByAdam(options), scaleByLearningRate());

/**
 * torch.optim.AdamW: p ← p − lr·wd·p, then the Adam step on the raw gradient.
 * NOTE: the decay is scaled by the scheduled lr but not by Adam's normaliser
 * (https://pytorch.org/docs/1.13/generated/torch.optim.AdamW.html).
 */
export const adamw = (options: Omit<Of<"adamw">, "name">, weightDecay: number) =>
  chain(scaleByAdam(options), ...when(weightDecay > 0, () => addDecayedWeights(weightDecay)), scaleByLearningRate());

/**
 * torch.optim.RMSprop (centered=False): s ← α·s + (1 − α)·g², d = g / (√s + ε);
 * with momentum buf ← μ·buf + d and p ← p − lr·buf.
 * NOTE: the momentum buffer holds d before the lr, so a schedule changes past steps' weight as PyTorch's does
 * (https://pytorch.org/docs/1.13/generated/torch.optim.RMSprop.html); optax applies the lr before its trace.
 */
export const rmsprop = ({ alpha, epsilon, momentum }: Omit<Of<"rmsprop">, "name">, weightDecay: number) =>
  chain(
    ...when(weightDecay > 0, () => addWeightDecay(weightDecay)),
    scaleByRms({ alpha, epsilon }),
    ...when(momentum > 0, () => trace({ decay: momentum })),
    scaleByLearningRate(),
  );

/**
 * torch.optim.Adagrad with lr_decay 0: Σ ← Σ + g², p ← p − lr·g / (√Σ + ε), Σ starting at
 * `initialAccumulator` (https://pytorch.org/docs/1.13/generated/torch.optim.Adagrad.html).
 */
export const adagrad = (options: Omit<Of<"adagrad">, "name">, weightDecay: number) =>
  chain(...when(weightDecay > 0, () => addWeightDecay(weightDecay)), scaleByAdagrad(options), scaleByLearningRate());

/** The optimizer a training config names, with its weight decay; throws a fixable message on bad settings. */
export function createOptimizer(
  optimizer: TrainingConfig["optimizer"],
  weightDecay: number,
): GradientTransformation<OptState[]> {
  const parsed = Optimizer.safeParse(optimizer);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `optimizer${i.path.map((p) => `.${String(p)}`).join("")}: ${i.message}`,
    );
    throw new Error(
      `invalid optimizer settings (${problems.join("; ")}); optimizers are ${OPTIMIZER_NAMES.join(", ")}`,
    );
  }
  if (!Number.isFinite(weightDecay) || weightDecay < 0) {
    throw new Error(`weightDecay must be a number ≥ 0 (got ${weightDecay}); 0 turns it off, 1e-4 is a gentle start`);
  }
  const config = parsed.data;
  switch (config.name) {
    case "sgd":
      return sgd(config, weightDecay);
    case "adam":
      return adam(config, weightDecay);
    case "adamw":
      return adamw(config, weightDecay);
    case "rmsprop":
      return rmsprop(config, weightDecay);
    case "adagrad":
      return adagrad(config, weightDecay);
  }
}
