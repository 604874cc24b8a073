/** What a legend needs of a run: its id, its name, and its setup's values where setups differ. */
export interface LabelledRun {
  id: string;
  name: string;
}

/** A short, stable tag of a run id: its last four characters. */
const shortId = (id: string): string => id.slice(-4);

/**
 * Legend labels that tell runs apart: a run's name alone where no other run
 * shares it; otherwise the name plus the first settings in which the runs
 * differ (`MLP · learningRate 0.01`), and a short id where even those agree.
 * `differences` are the rows where the runs' setups differ, one value per run.
 */
export function runLabels(
  runs: readonly LabelledRun[],
  differences: readonly { path: string; values: string[] }[],
): string[] {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  const labels = runs.map((r, i) => {
    if (count.get(r.name) === 1) return r.name;
    const setting = differences
      .slice(0, 2)
      .map((d) => `${d.path.replace(/^config\./, "")} ${d.values[i]}`)
      .join(", ");
    return setting ? `${r.name} · ${setting}` : r.name;
  });
  const seen = new Map<string, number>();
  for (const l of labels) seen.set(l, (seen.get(l) ?? 0) + 1);
  return labels.map((l, i) => (seen.get(l)! > 1 ? `${l} #${shortId(runs[i]!.id)}` : l));
}
