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
}
