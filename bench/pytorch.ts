/**
 * The PyTorch runtime: finds a Python that can `import torch` and runs
 * bench/pytorch_bench.py (the same workloads, 2 threads) in it, which also
 * reports the BLAS library it had mapped.
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { errorMessage, PeerInfo, type RuntimeReport } from "./results";
import { parseChildJson, runProcess } from "./subprocess";
import { WORKLOAD_NAMES, type WorkloadName } from "./workloads";

const SCRIPT = fileURLToPath(new URL("./pytorch_bench.py", import.meta.url));

// The pyenv `python3` on PATH has no torch here; Debian's python3-torch lives in /usr/bin/python3.
const CANDIDATES = ["python3", "/usr/bin/python3"];

const PytorchOutput = PeerInfo.extend({
  results: z.array(z.object({ workload: z.enum(WORKLOAD_NAMES), samplesPerSec: z.number(), steps: z.number() })),
});

/** The first Python (`LAYERLAB_PYTHON`, then python3, then /usr/bin/python3) in which `import torch` works, or null. */
export async function findTorchPython(): Promise<string | null> {
  const candidates = process.env.LAYERLAB_PYTHON ? [process.env.LAYERLAB_PYTHON] : CANDIDATES;
  for (const python of candidates) {
    try {
      const probe = await runProcess(python, ["-c", "import torch"], { timeoutMs: 60_000 });
      if (probe.code === 0) return python;
    } catch {
      // Not installed under that name: try the next.
    }
  }
  return null;
}

/** Options of `runPytorch`. */
export interface PytorchOptions {
  workloads: readonly WorkloadName[];
  steps?: number;
  timeoutMs: number;
  log?: (line: string) => void;
  /** The Python to use, as `findTorchPython` found it (null: none has torch); looked up when absent. */
  python?: string | null;
}

/** Measures the workloads in PyTorch on the CPU with 2 threads; skipped when no Python has torch. */
export async function runPytorch(opts: PytorchOptions): Promise<RuntimeReport> {
  const python = opts.python === undefined ? await findTorchPython() : opts.python;
  if (!python) {
    return {
      runtime: "pytorch-cpu",
      status: "skipped",
      reason: `no Python with torch (tried ${CANDIDATES.join(", ")}; set LAYERLAB_PYTHON or apt-get install python3-torch)`,
    };
  }
  const args = [SCRIPT, "--threads", "2", "--workloads", opts.workloads.join(",")];
  if (opts.steps !== undefined) args.push("--steps", String(opts.steps));
  opts.log?.(`pytorch-cpu: ${python} ${args.slice(1).join(" ")}`);
  try {
    const outcome = await runProcess(python, args, {
      timeoutMs: opts.timeoutMs,
      ...(opts.log ? { onStderr: opts.log } : {}),
    });
    const { results, ...peer } = PytorchOutput.parse(parseChildJson("pytorch_bench.py", outcome, opts.timeoutMs));
    return {
      runtime: "pytorch-cpu",
      status: "ok",
      results: results.map((r) => ({
        workload: r.workload,
        runtime: "pytorch-cpu",
        samplesPerSec: r.samplesPerSec,
      })),
      note: `torch ${peer.torch}, ${peer.threads} threads, ${peer.python}, BLAS: ${describeBlas(peer)}`,
      peer,
    };
  } catch (err) {
    return { runtime: "pytorch-cpu", status: "failed", reason: errorMessage(err) };
  }
}

/** The peer's BLAS in a few words: kind, library file and what the library says of itself. */
export function describeBlas(peer: PeerInfo): string {
  const { kind, path, detail } = peer.blas;
  return [kind, path, detail && `(${detail})`].filter(Boolean).join(" ");
}
