import type { TrainingConfig } from "@layerlab/spec";

/*
 * Learning-rate schedules as plain functions of the step, evaluated on the host
 * once per step; the result enters the jitted step as a traced scalar (see
 * `Hyper` in ./transform), so changing it never recompiles.
 */

/** The part of a training config that decides the learning rate. */
export type ScheduleConfig = Pick<TrainingConfig, "learningRate" | "schedule" | "epochs">;

/** Steps of linear warm-up: `warmupEpochs` (may be fractional) of `stepsPerEpoch`, rounded, at least 1 when asked for. */
export function warmupSteps(warmupEpochs: number, stepsPerEpoch: number): number {
  if (!(warmupEpochs > 0)) return 0;
  return Math.max(1, Math.round(warmupEpochs * stepsPerEpoch));
}

/**
 * The learning rate of step `step` (counted from 0). Warm-up rises linearly
 * from lr/W to lr over its W steps; the schedule then counts its own steps
 * and epochs from the end of warm-up:
 * - constant: lr
 * - step: lr·γ^(number of milestones ≤ epoch), as torch's MultiStepLR stepped once per epoch
 * - exponential: lr·γ^epoch
 * - cosine: per step, from lr down to `minLearningRate`, reached at the run's last step
 */
export function learningRateAt(config: ScheduleConfig, step: number, stepsPerEpoch: number): number {
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 1) {
    throw new Error(
      `stepsPerEpoch must be a whole number ≥ 1 (got ${stepsPerEpoch}); is the batch larger than the data?`,
    );
  }
  if (!Number.isInteger(step) || step < 0) {
    throw new Error(`step must be a whole number ≥ 0, counted from 0 (got ${step})`);
  }
  const { learningRate, schedule, epochs } = config;
  const warmup = warmupSteps(schedule.warmupEpochs, stepsPerEpoch);
  if (step < warmup) return (learningRate * (step + 1)) / warmup;
  const scheduleStep = step - warmup;
  const epoch = Math.floor(scheduleStep / stepsPerEpoch);
  switch (schedule.name) {
    case "constant":
      return learningRate;
    case "step":
      return learningRate * schedule.gamma ** schedule.milestones.filter((m) => m <= epoch).length;
    case "exponential":
      return learningRate * schedule.gamma ** epoch;
    case "cosine": {
      const steps = epochs * stepsPerEpoch - warmup;
      // A run of one step has only a first step, which keeps the full rate.
      const progress = steps > 1 ? Math.min(scheduleStep / (steps - 1), 1) : 0;
      const min = schedule.minLearningRate;
      return min + ((learningRate - min) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}

/** A short human description of the schedule, e.g. "step ×0.6 at epochs 30, 45". */
export function scheduleSummary(config: ScheduleConfig): string {
  const { learningRate, schedule } = config;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  let main: string;
  switch (schedule.name) {
    case "constant":
      main = "constant";
      break;
    case "step": {
      const milestones = schedule.milestones;
      main =
        milestones.length === 0
          ? "constant (step schedule without milestones)"
          : `step ×${schedule.gamma} at epoch${milestones.length === 1 ? "" : "s"} ${milestones.join(", ")}`;
      break;
    }
    case "exponential":
      main = `exponential ×${schedule.gamma} per epoch`;
      break;
    case "cosine":
      main = `cosine from ${learningRate} to ${schedule.minLearningRate}`;
      break;
  }
  return schedule.warmupEpochs > 0
    ? `linear warm-up over ${plural(schedule.warmupEpochs, "epoch")}, then ${main}`
    : main;
}
