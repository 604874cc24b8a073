/**
 * The arithmetic of the report: each row's median rate and its paired ratios
 * to PyTorch (median, min and max), shared by the table and `--json`.
 */
import {
  type BenchOutput,
  type BenchSummary,
  type MeasuredRow,
  PEER_RUNTIME,
  RUNTIME_NAMES,
  unfairPeerReason,
} from "./results";

/** The median of `values` (the mean of the middle two for an even count); throws on an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median, smallest and largest of a set of ratios. */
export interface RatioRange {
  median: number;
  min: number;
  max: number;
}

/**
 * The ratios `ours[i] / peer[i]` of runs made in the same pair (so both saw
 * the same load on the machine), summarised; throws when the counts differ.
 */
export function pairedRatios(ours: readonly number[], peer: readonly number[]): RatioRange {
  if (ours.length !== peer.length || ours.length === 0) {
    throw new Error(`cannot pair ${ours.length} runs with ${peer.length} PyTorch runs`);
  }
  const ratios = ours.map((rate, i) => rate / peer[i]!);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/** A measured row with its median rate, its ratio to PyTorch (null without a fair peer run) and its peak memory. */
export interface RowStats extends MeasuredRow {
  samplesPerSec: number;
  ratioToPytorch: RatioRange | null;
  /** The largest of the runs' peak resident memory, in bytes; null where not measured. */
  peakRss: number | null;
}

/** Every measured row of `summary`, in runtime then workload order, with its statistics. */
export function rowStats(summary: BenchSummary): RowStats[] {
  const rows = RUNTIME_NAMES.flatMap((name) => {
    const runtime = summary.runtimes.find((r) => r.runtime === name);
    return runtime?.status === "ok" ? runtime.rows : [];
  });
  const fair = summary.peer !== null && unfairPeerReason(summary.peer) === null;
  const peerRuns = (row: MeasuredRow) =>
    rows.find((r) => r.runtime === PEER_RUNTIME && r.workload === row.workload)?.runs;
  return rows.map((row) => {
    const peer = fair ? peerRuns(row) : undefined;
    return {
      ...row,
      samplesPerSec: median(row.runs),
      ratioToPytorch: peer ? pairedRatios(row.runs, peer) : null,
      peakRss: row.peakRssBytes?.length ? Math.max(...row.peakRssBytes) : null,
    };
  });
}

/** The `--json` document for `summary`: measured rows only, with their runs, ratios and peak memory, the peer's set-up, and the prediction latencies when measured. */
export function toJsonOutput(summary: BenchSummary): BenchOutput {
  return {
    pairs: summary.pairs,
    peer: summary.peer,
    results: rowStats(summary).map(({ workload, runtime, samplesPerSec, runs, ratioToPytorch, peakRss }) => ({
      workload,
      runtime,
      samplesPerSec,
      runs,
      ratioToPytorch,
      peakRssBytes: peakRss,
    })),
    ...(Array.isArray(summary.predictions) && { predictions: summary.predictions }),
  };
}
