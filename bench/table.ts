/**
 * The human-readable report: one row per workload and runtime with its median
 * rate and its median ratio to PyTorch (min–max over the pairs), the issue's
 * targets, the peer's BLAS, and why runtimes are missing.
 */
import { type BenchSummary, type RuntimeName, unfairPeerReason } from "./results";
import { type RatioRange, rowStats } from "./summary";
import { WORKLOAD_NAMES, type WorkloadName } from "./workloads";

/** Speed targets from the issue, as multiples of PyTorch's rate (never asserted in tests). */
export const TARGETS: Record<WorkloadName, number> = { "mnist-mlp": 1.0, "mnist-cnn": 0.5 };

// The runtimes a user gets when training on the CPU: the CLI (Node) or the browser without a GPU.
const TARGETED: readonly RuntimeName[] = ["node-wasm", "chromium-wasm"];

/** Renders `summary` as a plain-text table followed by the peer's set-up and skip and failure reasons. */
export function formatTable(summary: BenchSummary): string {
  const header = ["workload", "runtime", "samples/s", "× PyTorch", "target"];
  // Grouped by workload; rowStats gives runtime order, which a stable sort keeps within a workload.
  const rows = rowStats(summary)
    .sort((a, b) => WORKLOAD_NAMES.indexOf(a.workload) - WORKLOAD_NAMES.indexOf(b.workload))
    .map((row) => {
      const ratio = row.ratioToPytorch;
      const target =
        TARGETED.includes(row.runtime) && ratio
          ? `≥ ${TARGETS[row.workload].toFixed(1)}× ${ratio.median >= TARGETS[row.workload] ? "met" : "missed"}`
          : "";
      return [row.workload, row.runtime, formatRate(row.samplesPerSec), ratio ? formatRatio(ratio) : "–", target];
    });
  const lines = rows.length ? alignColumns([header, ...rows], [false, false, true, true, false]) : ["no results"];
  if (rows.length) {
    lines.push(
      summary.pairs === 1
        ? "  1 run per runtime and workload"
        : `  median of ${summary.pairs} interleaved runs per runtime and workload; × PyTorch: median (min–max) of the ratios within each pair`,
    );
  }
  const unfair = summary.peer && unfairPeerReason(summary.peer);
  if (unfair) lines.push(`  ${unfair}`);
  for (const runtime of summary.runtimes) {
    if (runtime.status === "ok" && runtime.note) lines.push(`  ${runtime.runtime}: ${runtime.note}`);
    if (runtime.status !== "ok") lines.push(`  ${runtime.runtime} ${runtime.status}: ${runtime.reason}`);
  }
  return lines.join("\n");
}

function formatRate(samplesPerSec: number): string {
  return samplesPerSec >= 100 ? Math.round(samplesPerSec).toLocaleString("en-US") : samplesPerSec.toFixed(1);
}

/** "1.25×" for one pair (or identical ones), "1.25× (1.20–1.31)" otherwise. */
function formatRatio({ median, min, max }: RatioRange): string {
  const one = (x: number) => x.toFixed(2);
  return one(min) === one(max) ? `${one(median)}×` : `${one(median)}× (${one(min)}–${one(max)})`;
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
