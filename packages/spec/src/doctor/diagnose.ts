import { TrainingConfig } from "../config";
import { ModelSpec } from "../model";
import { RULES } from "./rules";
import type { DiagnoseInput, DoctorFinding, EpochMetrics, FindingSeverity } from "./types";

const SEVERITY_ORDER: Record<FindingSeverity, number> = { problem: 0, warning: 1, info: 2 };

/**
 * The training doctor: looks at a run's curves (and, when given, its batch
 * losses, gradient statistics, class counts and dead units) and says what is
 * wrong in plain words, worst first, each with its evidence and a one-click
 * fix where one exists. Pure and cheap: the web app may call it at every epoch.
 */
export function diagnose(input: DiagnoseInput): DoctorFinding[] {
  const spec = input.spec === undefined ? null : ModelSpec.safeParse(input.spec);
  const config = input.config === undefined ? null : TrainingConfig.safeParse(input.config);
  const found = new Set<string>();
  const findings: DoctorFinding[] = [];
  const ctx = {
    ...input,
    spec: spec?.success ? spec.data : null,
    config: config?.success ? config.data : null,
    found,
  };
  for (const rule of RULES) {
    const f = rule(ctx);
    if (f) {
      found.add(f.id);
      findings.push(f);
    }
  }
  return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

/** The per-epoch arrays of a run folder's metrics.json as the doctor's history. */
export function historyFromMetrics(metrics: {
  epoch: readonly number[];
  train_loss: readonly number[];
  train_acc: readonly number[];
  val_loss: readonly (number | null)[];
  val_acc: readonly (number | null)[];
  lr?: readonly number[];
}): EpochMetrics[] {
  return metrics.epoch.map((epoch, i) => ({
    epoch,
    trainLoss: metrics.train_loss[i] ?? Number.NaN,
    trainAccuracy: metrics.train_acc[i] ?? 0,
    valLoss: metrics.val_loss[i] ?? null,
    valAccuracy: metrics.val_acc[i] ?? null,
    ...(metrics.lr?.[i] !== undefined && { learningRate: metrics.lr[i] }),
  }));
}
