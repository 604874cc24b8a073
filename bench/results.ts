/**
 * The benchmark's output types and the JSON schema `--json` promises:
 * `{"results": [{"workload", "runtime", "samplesPerSec"}]}`.
 */
import { z } from "zod";
import { WORKLOAD_NAMES, type WorkloadName } from "./workloads";

/** Runtimes in table order. */
export const RUNTIME_NAMES = ["node-wasm", "chromium-wasm", "chromium-webgpu", "pytorch-cpu"] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

/** One measured rate. */
export interface BenchResult {
  workload: WorkloadName;
  runtime: RuntimeName;
  samplesPerSec: number;
}

/** What happened to one runtime: measured, skipped (not available here) or failed (with the reason). */
export type RuntimeReport =
  | { runtime: RuntimeName; status: "ok"; results: BenchResult[]; note?: string }
  | { runtime: RuntimeName; status: "skipped" | "failed"; reason: string };

/** The `--json` document: exactly this object and nothing else on stdout. */
export const BenchOutput = z
  .object({
    results: z.array(
      z
        .object({
          workload: z.enum(WORKLOAD_NAMES),
          runtime: z.enum(RUNTIME_NAMES),
          samplesPerSec: z.number().positive(),
        })
        .strict(),
    ),
  })
  .strict();
export type BenchOutput = z.infer<typeof BenchOutput>;

/** The `--json` document for `reports`: measured rows only, in runtime then workload order. */
export function toJsonOutput(reports: readonly RuntimeReport[]): BenchOutput {
  const results = reports.flatMap((r) => (r.status === "ok" ? r.results : []));
  return {
    results: results.map(({ workload, runtime, samplesPerSec }) => ({ workload, runtime, samplesPerSec })),
  };
}

/** Errors as one line a person can read in a table cell or a log. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
