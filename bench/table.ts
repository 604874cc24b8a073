/**
 * The human-readable report: one row per workload and runtime with its rate
 * and its ratio to PyTorch, the targets, and why runtimes are missing.
 */
import { RUNTIME_NAMES, type RuntimeName, type RuntimeReport } from "./results";
import { WORKLOAD_NAMES, type WorkloadName } from "./workloads";

/** Speed targets from the issue, as multiples of PyTorch's rate (never asserted in tests). */
export const TARGETS: Record<WorkloadName, number> = { "mnist-mlp": 1.0, "mnist-cnn": 0.5 };

// The runtimes a user gets when training on the CPU: the CLI (Node) or the browser without a GPU.
const TARGETED: readonly RuntimeName[] = ["node-wasm", "chromium-wasm"];

/** Renders `reports` as a plain-text table followed by skip and failure reasons. */
export function formatTable(reports: readonly RuntimeReport[]): string {
  const rate = (workload: WorkloadName, runtime: RuntimeName): number | undefined => {
    const report = reports.find((r) => r.runtime === runtime);
    if (report?.status !== "ok") return undefined;
    return report.results.find((r) => r.workload === workload)?.samplesPerSec;
  };
  const header = ["workload", "runtime", "samples/s", "× PyTorch", "target"];
  const rows: string[][] = [];
  for (const workload of WORKLOAD_NAMES) {
    const torch = rate(workload, "pytorch-cpu");
    for (const runtime of RUNTIME_NAMES) {
      const value = rate(workload, runtime);
      if (value === undefined) continue;
      const ratio = torch ? value / torch : undefined;
      const target =
        TARGETED.includes(runtime) && ratio !== undefined
          ? `≥ ${TARGETS[workload].toFixed(1)}× ${ratio >= TARGETS[workload] ? "met" : "missed"}`
          : "";
      rows.push([workload, runtime, formatRate(value), ratio === undefined ? "–" : `${ratio.toFixed(2)}×`, target]);
    }
  }
  const lines = rows.length ? alignColumns([header, ...rows], [false, false, true, true, false]) : ["no results"];
  for (const report of reports) {
    if (report.status === "ok" && report.note) lines.push(`  ${report.runtime}: ${report.note}`);
    if (report.status !== "ok") lines.push(`  ${report.runtime} ${report.status}: ${report.reason}`);
  }
  return lines.join("\n");
}

function formatRate(samplesPerSec: number): string {
  return samplesPerSec >= 100 ? Math.round(samplesPerSec).toLocaleString("en-US") : samplesPerSec.toFixed(1);
}

/** Pads cells to a common width per column; `right[i]` right-aligns column i (numbers). */
function alignColumns(table: string[][], right: boolean[]): string[] {
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) =>
    row
      .map((cell, i) => (right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}
