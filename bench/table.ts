/**
 * The human-readable report: one row per workload and runtime with its median
 * rate, its peak memory and its median ratio to PyTorch (min–max over the
 * pairs), the targets, the peer's BLAS, why runtimes are missing, and
 * the prediction latencies when measured.
 */
import { type BenchSummary, type PredictionRow, type RuntimeName, unfairPeerReason } from "./results";
import { type RatioRange, rowStats } from "./summary";
import { WORKLOAD_NAMES, type WorkloadName } from "./workloads";

/** Speed targets against a PyTorch on OpenBLAS, as multiples of its rate (never asserted in tests); the standing goal is 1.5× and 1.0×. */
export const TARGETS: Record<WorkloadName, number> = { "mnist-mlp": 1.0, "mnist-cnn": 0.6 };

// The runtimes a user gets when training on the CPU: the CLI (Node) or the browser without a GPU.
const TARGETED: readonly RuntimeName[] = ["node-wasm", "chromium-wasm"];

/** Renders `summary` as a plain-text table followed by the peer's set-up and skip and failure reasons. */
export function formatTable(summary: BenchSummary): string {
  const header = ["workload", "runtime", "samples/s", "peak RSS", "× PyTorch", "target"];
  // Grouped by workload; rowStats gives runtime order, which a stable sort keeps within a workload.
  const rows = rowStats(summary)
    .sort((a, b) => WORKLOAD_NAMES.indexOf(a.workload) - WORKLOAD_NAMES.indexOf(b.workload))
    .map((row) => {
      const ratio = row.ratioToPytorch;
      const target =
        TARGETED.includes(row.runtime) && ratio
          ? `≥ ${TARGETS[row.workload].toFixed(1)}× ${ratio.median >= TARGETS[row.workload] ? "met" : "missed"}`
          : "";
      return [
        row.workload,
        row.runtime,
        formatRate(row.samplesPerSec),
        row.peakRss === null ? "–" : formatBytes(row.peakRss),
        ratio ? formatRatio(ratio) : "–",
        target,
      ];
    });
  const lines = rows.length ? alignColumns([header, ...rows], [false, false, true, true, true, false]) : ["no results"];
  if (rows.length) {
    lines.push(
      summary.pairs === 1
        ? "  1 run per runtime and workload"
        : `  median of ${summary.pairs} interleaved runs per runtime and workload; × PyTorch: median (min–max) of the ratios within each pair`,
    );
  }
  const unfair = summary.peer && unfairPeerReason(summary.peer);
  if (unfair) lines.push(`  ${unfair}`);
  if (rows.length)
    lines.push("  peak RSS: the training process's resident high-water mark (the largest over the runs)");
  for (const runtime of summary.runtimes) {
    if (runtime.status === "ok" && runtime.note) lines.push(`  ${runtime.runtime}: ${runtime.note}`);
    if (runtime.status !== "ok") lines.push(`  ${runtime.runtime} ${runtime.status}: ${runtime.reason}`);
  }
  if (typeof summary.predictions === "string") lines.push(`  predict failed: ${summary.predictions}`);
  else if (summary.predictions?.length) lines.push("", ...formatPredictions(summary.predictions));
  return lines.join("\n");
}

/** The draw-to-probabilities table: medians over the pages of each page's p50, p95 and max, and the p95 target. */
function formatPredictions(rows: readonly PredictionRow[]): string[] {
  const header = ["template", "runtime", "p50 ms", "p95 ms", "max ms", "target"];
  const ms = (x: number) => x.toFixed(1);
  const body = rows.map((r) => {
    const p95s = r.runs.map((run) => run.p95Ms);
    const spread = r.runs.length > 1 ? ` (${ms(Math.min(...p95s))}–${ms(Math.max(...p95s))})` : "";
    const met = r.p95Ms < r.targetP95Ms ? "met" : "missed";
    return [
      r.template,
      r.runtime,
      ms(r.p50Ms),
      `${ms(r.p95Ms)}${spread}`,
      ms(r.maxMs),
      `p95 < ${r.targetP95Ms} ${met}`,
    ];
  });
  const first = rows[0]!;
  return [
    ...alignColumns([header, ...body], [false, false, true, true, true, false]),
    `  ${first.count} predictions per page after a warm-up, ${first.runs.length} page(s) per template; p95: median (min–max) over the pages`,
    ...rows.map((r) => {
      const { afterMeasuring: m, afterSwitch: s } = r.predictors;
      return m && s
        ? `  ${r.template}: ${m.built} compiled pass set for ${r.count} predictions; after a model swap ${s.built} built, ${s.live} held`
        : `  ${r.template}: the worker does not report its compiled passes`;
    }),
  ];
}

/** Bytes as MiB, e.g. "412 MiB". */
function formatBytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20).toLocaleString("en-US")} MiB`;
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
