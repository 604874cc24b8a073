import type { SpecEdit } from "../edits";
import type { LayerGradientStats } from "../events";
import type { ConfigEdit } from "../validateConfig";

/** One epoch's metrics, as the `epoch` event carries them (so the web app can pass those events as they are). */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  learningRate?: number;
}

/** Share of a layer's ReLU units that never fired on a batch (see `deadUnitFractions`). */
export interface DeadUnits {
  /** Index of the layer in `spec.layers`. */
  layer: number;
  /** In [0, 1]. */
  fraction: number;
}

/** What the doctor looks at; everything but `history` is optional and only enables more rules. */
export interface DiagnoseInput {
  /** The model spec (raw or parsed); fixes that edit the spec need it to parse. */
  spec?: unknown;
  /** The training config (raw or parsed); fixes that edit the config need it. */
  config?: unknown;
  /** Per-epoch metrics so far, in order. */
  history: readonly EpochMetrics[];
  /** Recent batch losses (the `batch` events' `loss`), oldest first. */
  batches?: readonly number[];
  /** Optimizer steps taken so far (the last `batch` event's `step`); rules that judge learning want enough of them. */
  steps?: number;
  /** `gradients` events (or just their layers), oldest first. */
  gradients?: readonly { layers: readonly LayerGradientStats[] }[];
  /** Training images per class, in class order. */
  classCounts?: readonly number[];
  deadUnits?: readonly DeadUnits[];
  /** Final test metrics, once the run is done. */
  final?: { testAccuracy?: number | null; testLoss?: number | null };
}

/** How serious a finding is: `problem` means the run is not working, `warning` that it could do better. */
export type FindingSeverity = "info" | "warning" | "problem";

/** One thing the doctor noticed, in plain words, with the numbers behind it and a fix where one exists. */
export interface DoctorFinding {
  /** Stable rule id (`"overfitting"`, `"lr-too-high"`, …), e.g. for tests and icons. */
  id: string;
  severity: FindingSeverity;
  title: string;
  /** The numbers that show it, in plain words. */
  evidence: string;
  /** What to do, in plain words. */
  suggestion: string;
  /** One click: apply with `applyEdit` (spec) or `applyConfigEdit` (config). */
  fix?: SpecEdit | ConfigEdit;
}

/** Whether a fix edits the training config (else it edits the spec). */
export function isConfigEdit(fix: SpecEdit | ConfigEdit): fix is ConfigEdit {
  return fix.op === "setConfigField";
}
