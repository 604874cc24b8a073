export { adagrad, adam, adamw, createOptimizer, rmsprop, sgd } from "./optimizers";
export { learningRateAt, type ScheduleConfig, scheduleSummary, warmupSteps } from "./schedules";
export {
  type AdagradOptions,
  type AdamOptions,
  addDecayedWeights,
  addWeightDecay,
  applyUpdates,
  chain,
  type GradientTransformation,
  type Hyper,
  type OptState,
  type RmsOptions,
  scaleByAdagrad,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  type TraceOptions,
  type Tree,
  trace,
} from "./transform";
