import type { DiagnoseInput, EpochMetrics } from "@layerlab/spec";
import type { LocalRun } from "./trainer";

/** Batch losses the doctor reads the curve's shape from. */
const RECENT_BATCHES = 500;

/** What the doctor is given for a run this page trained or watched: its setup, curves, gradients and test metrics. */
export function doctorInput(run: LocalRun): DiagnoseInput {
  const s = run.series;
  const e = s.epoch;
  const history: EpochMetrics[] = e.epoch.map((epoch, i) => ({
    epoch,
    trainLoss: e.trainLoss[i]!,
    trainAccuracy: e.trainAccuracy[i]!,
    valLoss: Number.isNaN(e.valLoss[i]!) ? null : e.valLoss[i]!,
    valAccuracy: Number.isNaN(e.valAccuracy[i]!) ? null : e.valAccuracy[i]!,
  }));
  const input: DiagnoseInput = {
    spec: run.studio.spec,
    config: run.studio.config,
    history,
    batches: s.batch.loss.slice(-RECENT_BATCHES),
    gradients: s.gradients.recent,
  };
  // Every epoch's last step is a logged batch, so the last one counts the steps taken.
  if (s.lastBatch) input.steps = s.lastBatch.step;
  if (run.results) input.classCounts = run.results.perClass.map((c) => c.support);
  // The test evaluation's measurement once there is one, else the latest epoch's.
  const deadUnits = run.results?.deadUnits ?? s.deadUnits;
  if (deadUnits) input.deadUnits = deadUnits;
  if (s.end?.type === "done") input.final = { testAccuracy: s.end.testAccuracy, testLoss: s.end.testLoss };
  return input;
}
