import type { DeadUnits } from "./doctor/types";

/**
 * A run's test.json, as the runner writes it and the report, the server and
 * the web app read it: test metrics, confusion matrix, per-class precision and
 * recall. Accuracies, precisions and recalls are fractions in [0, 1].
 */
export interface TestReport {
  loss: number;
  accuracy: number;
  count: number;
  classes: string[];
  /** `confusion[actual][predicted]` counts. */
  confusion: number[][];
  perClass: { class: string; precision: number; recall: number; support: number }[];
  /** The predicted class of every test image, in the test split's order (runs since session 2). */
  predictions?: number[];
  /** Share of each ReLU layer's units that never fired on the first test images (see `deadUnitFractions`). */
  deadUnits?: DeadUnits[];
}
