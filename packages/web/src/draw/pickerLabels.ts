import type { RunSummary } from "../api/client";
import { runLabels } from "../state/runLabels";

/** A run as the picker first names it: name, dataset and test accuracy. */
function summaryOf(r: RunSummary): string {
  const accuracy = r.metrics.testAccuracy !== null ? ` · ${(r.metrics.testAccuracy * 100).toFixed(1)}%` : "";
  return `${r.name} · ${r.dataset}${accuracy}`;
}

/** The settings that can tell two runs with the same summary apart, in the order people look at them. */
const SETTINGS: readonly [string, (r: RunSummary) => string][] = [
  ["optimizer", (r) => r.optimizer],
  ["learningRate", (r) => String(r.learningRate)],
  ["epochs", (r) => String(r.epochs)],
  ["batchSize", (r) => String(r.batchSize)],
  ["hidden", (r) => r.hiddenUnits || "none"],
  ["dropout", (r) => String(r.dropout)],
  ["created", (r) => new Date(r.createdAt).toISOString().slice(0, 16).replace("T", " ")],
];

/**
 * Option labels for the registry picker: each run's summary, plus the first settings
 * in which runs with the same summary differ, plus a short id where even those agree.
 */
export function pickerLabels(runs: readonly RunSummary[]): string[] {
  const summaries = runs.map(summaryOf);
  const groups = new Map<string, number[]>();
  for (const [i, s] of summaries.entries()) groups.set(s, [...(groups.get(s) ?? []), i]);
  const shared = [...groups.values()].filter((g) => g.length > 1);
  const differences = SETTINGS.flatMap(([path, read]) => {
    const values = runs.map(read);
    return shared.some((g) => new Set(g.map((i) => values[i])).size > 1) ? [{ path, values }] : [];
  });
  return runLabels(
    runs.map((r, i) => ({ id: r.id, name: summaries[i]! })),
    differences,
  );
}
