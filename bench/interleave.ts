/**
 * The benchmark's schedule: per workload, `pairs` rounds of (each of our
 * runtimes, then PyTorch), so that every ratio compares two runs made moments
 * apart under the same load on a shared machine, never a quiet minute with a
 * busy one.
 */
import type { BenchSummary, MeasuredRow, PeerInfo, RuntimeName, RuntimeReport, RuntimeSummary } from "./results";
import { RUNTIME_NAMES } from "./results";
import type { WorkloadName } from "./workloads";

/** Trains one workload once in one group of runtimes (Node; Chromium's backends; PyTorch): a report per runtime. */
export type GroupRunner = (workload: WorkloadName) => Promise<RuntimeReport[]>;

/** Options of `runInterleaved`. */
export interface InterleaveOptions {
  workloads: readonly WorkloadName[];
  pairs: number;
  /** Our runtimes, run in this order within a pair. */
  ours: readonly GroupRunner[];
  /** PyTorch, run last in each pair; absent when not asked for. */
  peer?: GroupRunner;
  log?: (line: string) => void;
}

/** What one runtime has given so far: its rows and first-pair notes, or why it stopped. */
type Tally = { status: "ok"; rows: MeasuredRow[]; notes: string[] } | { status: "skipped" | "failed"; reason: string };

/**
 * Runs the schedule and tallies it. A runtime that is skipped or fails once is
 * reported so and not run again (a group is dropped once all its runtimes
 * are); the rest go on.
 */
export async function runInterleaved(opts: InterleaveOptions): Promise<BenchSummary> {
  const tallies = new Map<RuntimeName, Tally>();
  let peer: PeerInfo | null = null;
  const runners = [...opts.ours, ...(opts.peer ? [opts.peer] : [])];
  const dropped = new Set<GroupRunner>();
  for (const workload of opts.workloads) {
    for (let pair = 0; pair < opts.pairs; pair++) {
      opts.log?.(`${workload}: pair ${pair + 1} of ${opts.pairs}`);
      for (const runner of runners) {
        if (dropped.has(runner)) continue;
        const reports = await runner(workload);
        for (const report of reports) {
          record(tallies, report, workload, pair === 0);
          if (report.status === "ok" && report.peer && !peer) peer = report.peer;
        }
        if (reports.every((r) => r.status !== "ok")) dropped.add(runner);
      }
    }
  }
  const runtimes = RUNTIME_NAMES.flatMap((runtime): RuntimeSummary[] => {
    const tally = tallies.get(runtime);
    if (!tally) return [];
    if (tally.status !== "ok") return [{ runtime, status: tally.status, reason: tally.reason }];
    return [
      { runtime, status: "ok", rows: tally.rows, ...(tally.notes.length ? { note: tally.notes.join("; ") } : {}) },
    ];
  });
  return { pairs: opts.pairs, peer, runtimes };
}

/** Adds one report to its runtime's tally; the first skip or failure is final. */
function record(tallies: Map<RuntimeName, Tally>, report: RuntimeReport, workload: WorkloadName, firstPair: boolean) {
  const tally = tallies.get(report.runtime) ?? { status: "ok", rows: [], notes: [] };
  if (tally.status !== "ok") return;
  if (report.status !== "ok") {
    tallies.set(report.runtime, { status: report.status, reason: report.reason });
    return;
  }
  const result = report.results.find((r) => r.workload === workload);
  if (!result) {
    tallies.set(report.runtime, { status: "failed", reason: `reported no rate for ${workload}` });
    return;
  }
  let row = tally.rows.find((r) => r.workload === workload);
  if (!row) {
    row = { workload, runtime: report.runtime, runs: [] };
    tally.rows.push(row);
  }
  row.runs.push(result.samplesPerSec);
  if (result.peakRssBytes !== undefined) row.peakRssBytes = [...(row.peakRssBytes ?? []), result.peakRssBytes];
  if (firstPair && report.note && !tally.notes.includes(report.note)) tally.notes.push(report.note);
  tallies.set(report.runtime, tally);
}
