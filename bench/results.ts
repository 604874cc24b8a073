/**
 * The benchmark's output types and the JSON schema `--json` promises:
 * `{"pairs", "peer", "results": [{"workload", "runtime", "samplesPerSec", "runs", "ratioToPytorch", "peakRssBytes"}],
 * "predictions"?: [{"template", "runtime", "p50Ms", "p95Ms", "maxMs", …}]}`.
 */
import { z } from "zod";
import { WORKLOAD_NAMES, type WorkloadName } from "./workloads";

/** Runtimes in table order. */
export const RUNTIME_NAMES = ["node-wasm", "server-job", "chromium-wasm", "chromium-webgpu", "pytorch-cpu"] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

/** The runtime every other one is compared with. */
export const PEER_RUNTIME: RuntimeName = "pytorch-cpu";

/** One measured rate. */
export interface BenchResult {
  workload: WorkloadName;
  runtime: RuntimeName;
  samplesPerSec: number;
  /** Peak resident memory of the process that trained, in bytes (Linux VmHWM / maxRSS), when measured. */
  peakRssBytes?: number;
}

/** The BLAS library the PyTorch process had mapped, as bench/peer_blas.py read it from /proc/self/maps. */
export const PeerBlas = z
  .object({
    /** openblas, mkl, blis, atlas, armpl; reference (netlib); builtin (linked into torch); unknown. */
    kind: z.string(),
    /** The resolved library file, or null when none is mapped. */
    path: z.string().nullable(),
    /** The library's own description (OpenBLAS's build config and thread count), when it gives one. */
    detail: z.string().nullable(),
  })
  .strict();

/** What the PyTorch peer ran on: versions, threads and its BLAS, read from the running process. */
export const PeerInfo = z
  .object({
    torch: z.string(),
    threads: z.number(),
    python: z.string(),
    blas: PeerBlas,
    /** torch.__config__.show(). */
    config: z.string(),
  })
  .strict();
export type PeerInfo = z.infer<typeof PeerInfo>;

/** What happened to one runtime in one run: measured, skipped (not available here) or failed (with the reason). */
export type RuntimeReport =
  | { runtime: RuntimeName; status: "ok"; results: BenchResult[]; note?: string; peer?: PeerInfo }
  | { runtime: RuntimeName; status: "skipped" | "failed"; reason: string };

/** One runtime's rates for one workload over all pairs, in run order. */
export interface MeasuredRow {
  workload: WorkloadName;
  runtime: RuntimeName;
  /** Samples per second of each pair's run. */
  runs: number[];
  /** Peak resident memory (bytes) of each pair's run that measured it. */
  peakRssBytes?: number[];
}

/** One runtime over the whole benchmark. */
export type RuntimeSummary =
  | { runtime: RuntimeName; status: "ok"; rows: MeasuredRow[]; note?: string }
  | { runtime: RuntimeName; status: "skipped" | "failed"; reason: string };

/** Draw-to-probabilities latency of one page (ms): median, 95th percentile and worst. */
export const LatencyStats = z.object({ p50Ms: z.number(), p95Ms: z.number(), maxMs: z.number() }).strict();
export type LatencyStats = z.infer<typeof LatencyStats>;

/** The worker's compiled prediction passes: built since it started, not yet freed. */
const PredictorCounts = z.object({ built: z.number().int(), live: z.number().int() }).strict();

/** One template's prediction latencies in the studio's worker in Chromium (Wasm), over `runs` pages. */
export const PredictionRow = z
  .object({
    template: z.enum(["mlp", "cnn"]),
    runtime: z.literal("chromium-wasm"),
    /** The worker's Wasm threading: single (dense nets) or pool (conv nets). */
    mode: z.string(),
    /** Measured predictions per page, after the warm-up. */
    count: z.number().int().positive(),
    /** Medians over the pages of each page's p50, p95 and max. */
    p50Ms: z.number().positive(),
    p95Ms: z.number().positive(),
    maxMs: z.number().positive(),
    /** The p95 target for this template. */
    targetP95Ms: z.number().positive(),
    runs: z.array(LatencyStats),
    /** The first page's worker after measuring (one build: every prediction reused it) and after swapping models. */
    predictors: z
      .object({ afterMeasuring: PredictorCounts.nullable(), afterSwitch: PredictorCounts.nullable() })
      .strict(),
  })
  .strict();
export type PredictionRow = z.infer<typeof PredictionRow>;

/** Everything a benchmark run measured, before it is printed. */
export interface BenchSummary {
  /** Interleaved (ours, peer) pairs run per workload. */
  pairs: number;
  /** The PyTorch peer's set-up, or null when it did not run. */
  peer: PeerInfo | null;
  runtimes: RuntimeSummary[];
  /** Prediction latencies, when `--only` asked for predict; a string says why they are missing. */
  predictions?: PredictionRow[] | string;
}

/**
 * Why no ratio may be computed against `peer`, or null when it is a fair one:
 * netlib's reference BLAS is several times slower than an optimised BLAS at
 * the matmuls these workloads are made of, so a ratio to it flatters the engine.
 */
export function unfairPeerReason(peer: PeerInfo): string | null {
  if (peer.blas.kind !== "reference") return null;
  return `PyTorch runs on the reference BLAS (${peer.blas.path}): install libopenblas0-pthread for a fair peer; no ratio printed`;
}

const RatioRange = z.object({ median: z.number(), min: z.number(), max: z.number() }).strict();

/** The `--json` document: exactly this object and nothing else on stdout. */
export const BenchOutput = z
  .object({
    pairs: z.number().int().positive(),
    peer: PeerInfo.nullable(),
    results: z.array(
      z
        .object({
          workload: z.enum(WORKLOAD_NAMES),
          runtime: z.enum(RUNTIME_NAMES),
          /** The median of `runs`. */
          samplesPerSec: z.number().positive(),
          runs: z.array(z.number().positive()),
          /** Median, min and max of this runtime's rate over PyTorch's in the same pair; null without a fair peer. */
          ratioToPytorch: RatioRange.nullable(),
          /** The largest peak resident memory of the training process over the runs, in bytes; null where not measured. */
          peakRssBytes: z.number().positive().nullable(),
        })
        .strict(),
    ),
    /** Present when the prediction latencies were measured (`--only predict`). */
    predictions: z.array(PredictionRow).optional(),
  })
  .strict();
export type BenchOutput = z.infer<typeof BenchOutput>;

/** Errors as one line a person can read in a table cell or a log. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
