/**
 * Tests of the benchmark harness (not of speed): the `--json` contract, the
 * interleaved schedule, the table's ratio arithmetic, the refusal to compare
 * with a PyTorch on the reference BLAS, and the errors for bad flags. Runs
 * one pair of a few steps: the bench's own numbers are not tested here.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type GroupRunner, runInterleaved } from "./interleave";
import { findTorchPython } from "./pytorch";
import { BenchOutput, type BenchSummary, type PeerInfo } from "./results";
import { runProcess } from "./subprocess";
import { median, pairedRatios, toJsonOutput } from "./summary";
import { formatTable } from "./table";
import { parseSteps, parseWorkloadList, type WorkloadName } from "./workloads";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function bench(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 240_000,
  });
}

/** `bench` without blocking this process, so that other work can overlap the run. */
async function benchAsync(args: string[]) {
  const run = await runProcess(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], {
    cwd: ROOT,
    timeoutMs: 240_000,
  });
  return { status: run.code, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run bench --json", () => {
  it("prints exactly one JSON object: a row per workload and runtime run, and the peer's BLAS read from its process", async () => {
    // Whether this machine has PyTorch, found while the bench runs (importing torch takes seconds).
    const [run, torch] = await Promise.all([
      benchAsync(["--json", "--only", "node,pytorch", "--steps", "5", "--pairs", "1"]),
      findTorchPython(),
    ]);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const out = BenchOutput.parse(JSON.parse(lines[0]!));
    expect(out.pairs).toBe(1);
    const rows = out.results.map((r) => `${r.runtime}/${r.workload}`).sort();
    const expected = ["node-wasm/mnist-cnn", "node-wasm/mnist-mlp"];
    if (torch) expected.push("pytorch-cpu/mnist-cnn", "pytorch-cpu/mnist-mlp");
    expect(rows).toEqual(expected.sort());
    for (const r of out.results) {
      expect(r.runs).toHaveLength(1);
      expect(r.samplesPerSec).toBe(r.runs[0]);
    }
    // The engine's own process says how much memory it took at its peak: more than the Node runtime alone.
    for (const r of out.results.filter((r) => r.runtime === "node-wasm")) {
      expect(r.peakRssBytes).toBeGreaterThan(30 * 2 ** 20);
    }
    if (!torch) return;
    const peer = out.peer!;
    expect(peer.threads).toBe(2);
    expect(peer.config).toContain("PyTorch built with");
    // Debian's torch calls the system's libblas.so.3, so a real library file must have been found mapped.
    expect(peer.blas.path).not.toBeNull();
    expect(existsSync(peer.blas.path!)).toBe(true);
    const rate = (runtime: string, workload: string) =>
      out.results.find((r) => r.runtime === runtime && r.workload === workload)!;
    const ours = rate("node-wasm", "mnist-mlp");
    if (peer.blas.kind === "reference") {
      expect(ours.ratioToPytorch).toBeNull();
      expect(run.stderr).toContain("install libopenblas0-pthread for a fair peer; no ratio printed");
    } else {
      const ratio = ours.samplesPerSec / rate("pytorch-cpu", "mnist-mlp").samplesPerSec;
      expect(ours.ratioToPytorch).toEqual({ median: ratio, min: ratio, max: ratio });
    }
  }, 300_000);

  it("trains with the engine inside headless Chromium, on Wasm (threaded for conv nets) and on WebGPU", () => {
    // The engine's browser path: the page is cross-origin isolated, so the CNN's convolutions run on the
    // engine's own kernels with a helper worker while a dense net stays on one thread (the studio's
    // policy). CI installs Debian's chromium, so no skip here.
    const wasm = bench(["--json", "--only", "chromium-wasm", "--steps", "2", "--pairs", "1"]);
    expect(wasm.status, wasm.stderr).toBe(0);
    const wasmOut = BenchOutput.parse(JSON.parse(wasm.stdout.trim()));
    expect(wasmOut.results.map((r) => `${r.runtime}/${r.workload}`)).toEqual([
      "chromium-wasm/mnist-mlp",
      "chromium-wasm/mnist-cnn",
    ]);
    const wasmPages = [...wasm.stderr.matchAll(/chromium-wasm: done \((\d+) workers/g)].map((m) => Number(m[1]));
    expect(wasmPages).toHaveLength(2);
    expect(wasmPages[0]).toBe(0); // mnist-mlp
    expect(wasmPages[1]).toBeGreaterThan(0); // mnist-cnn
    // Chromium's SwiftShader adapter gives WebGPU; the MLP alone proves the path (the CNN takes a minute there).
    const webgpu = bench([
      "--json",
      "--only",
      "chromium-webgpu",
      "--workloads",
      "mnist-mlp",
      "--steps",
      "2",
      "--pairs",
      "1",
    ]);
    expect(webgpu.status, webgpu.stderr).toBe(0);
    const webgpuOut = BenchOutput.parse(JSON.parse(webgpu.stdout.trim()));
    expect(webgpuOut.results.map((r) => `${r.runtime}/${r.workload}`)).toEqual(["chromium-webgpu/mnist-mlp"]);
    for (const r of [...wasmOut.results, ...webgpuOut.results]) {
      expect(r.samplesPerSec).toBeGreaterThan(0);
      // Read from the page's renderer process, found among the processes this bench started.
      expect(r.peakRssBytes).toBeGreaterThan(30 * 2 ** 20);
    }
  }, 300_000);

  it("trains a workload as the server's job thread does, on the built-in MNIST, and reports its rate and memory", async () => {
    // The MLP: what is checked is that the job thread is driven as the queue drives it, not its speed.
    const run = await benchAsync([
      "--json",
      "--only",
      "server",
      "--workloads",
      "mnist-mlp",
      "--steps",
      "10",
      "--pairs",
      "1",
    ]);
    expect(run.status, run.stderr).toBe(0);
    const out = BenchOutput.parse(JSON.parse(run.stdout.trim()));
    expect(out.results.map((r) => `${r.runtime}/${r.workload}`)).toEqual(["server-job/mnist-mlp"]);
    expect(out.results[0]!.samplesPerSec).toBeGreaterThan(0);
    expect(out.results[0]!.peakRssBytes).toBeGreaterThan(50 * 2 ** 20);
  }, 120_000);

  it("refuses an unknown runtime with a message naming the choices", () => {
    const run = bench(["--json", "--only", "gpu"]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("unknown runtime 'gpu'");
    expect(run.stderr).toContain("node, server, chromium, chromium-wasm, chromium-webgpu, pytorch, predict");
  }, 60_000);

  it("refuses a pair count that is not a whole number from 1", () => {
    const run = bench(["--json", "--pairs", "0"]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("--pairs must be a whole number from 1 to 100, got '0'");
  }, 60_000);
});

describe("the interleaved schedule", () => {
  it("runs ours then PyTorch, pair after pair, and pairs each run with the PyTorch run beside it", async () => {
    const calls: string[] = [];
    // Each runner plays back a list of rates; the rates are what a loaded machine might give.
    const playback =
      (runtime: "node-wasm" | "pytorch-cpu", rates: Record<WorkloadName, number[]>): GroupRunner =>
      async (workload) => {
        calls.push(`${runtime}/${workload}`);
        const samplesPerSec = rates[workload].shift()!;
        return [
          {
            runtime,
            status: "ok",
            results: [{ workload, runtime, samplesPerSec }],
            ...(runtime === "pytorch-cpu" ? { peer: FAIR_PEER } : {}),
          },
        ];
      };
    const summary = await runInterleaved({
      workloads: ["mnist-mlp", "mnist-cnn"],
      pairs: 3,
      ours: [playback("node-wasm", { "mnist-mlp": [300, 100, 200], "mnist-cnn": [40, 50, 60] })],
      peer: playback("pytorch-cpu", { "mnist-mlp": [100, 100, 50], "mnist-cnn": [100, 100, 100] }),
    });
    expect(calls).toEqual([
      ...Array(3).fill(["node-wasm/mnist-mlp", "pytorch-cpu/mnist-mlp"]).flat(),
      ...Array(3).fill(["node-wasm/mnist-cnn", "pytorch-cpu/mnist-cnn"]).flat(),
    ]);
    const out = toJsonOutput(summary);
    expect(BenchOutput.parse(out)).toEqual(out);
    const mlp = out.results.find((r) => r.runtime === "node-wasm" && r.workload === "mnist-mlp")!;
    expect(mlp.runs).toEqual([300, 100, 200]);
    expect(mlp.samplesPerSec).toBe(200);
    // Per pair: 300/100 = 3, 100/100 = 1, 200/50 = 4 (not 200 over PyTorch's median of 100).
    expect(mlp.ratioToPytorch).toEqual({ median: 3, min: 1, max: 4 });
  });

  it("stops running a runtime after it fails, and reports the failure", async () => {
    let calls = 0;
    const failing: GroupRunner = async () => {
      calls++;
      return [{ runtime: "node-wasm", status: "failed", reason: "out of memory" }];
    };
    const summary = await runInterleaved({ workloads: ["mnist-mlp", "mnist-cnn"], pairs: 3, ours: [failing] });
    expect(calls).toBe(1);
    expect(summary.runtimes).toEqual([{ runtime: "node-wasm", status: "failed", reason: "out of memory" }]);
  });

  it("takes medians and paired ratios as defined", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(pairedRatios([2, 9], [1, 3])).toEqual({ median: 2.5, min: 2, max: 3 });
    expect(() => pairedRatios([1, 2], [1])).toThrow("cannot pair 2 runs with 1 PyTorch runs");
  });
});

const FAIR_PEER: PeerInfo = {
  torch: "1.13.0a0",
  threads: 2,
  python: "/usr/bin/python3",
  blas: {
    kind: "openblas",
    path: "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so",
    detail: "OpenBLAS 0.3.21 DYNAMIC_ARCH, 2 threads",
  },
  config: "PyTorch built with: ...",
};

describe("report formatting", () => {
  const summary = (peer: PeerInfo | null): BenchSummary => ({
    pairs: 3,
    peer,
    runtimes: [
      {
        runtime: "node-wasm",
        status: "ok",
        rows: [
          {
            workload: "mnist-mlp",
            runtime: "node-wasm",
            runs: [25_000, 24_000, 26_000],
            peakRssBytes: [200 * 2 ** 20, 210 * 2 ** 20, 205 * 2 ** 20],
          },
          { workload: "mnist-cnn", runtime: "node-wasm", runs: [400, 400, 400] },
        ],
      },
      { runtime: "chromium-webgpu", status: "skipped", reason: "no WebGPU adapter: requestAdapter() returned null" },
      {
        runtime: "pytorch-cpu",
        status: "ok",
        rows: [
          { workload: "mnist-mlp", runtime: "pytorch-cpu", runs: [20_000, 20_000, 20_000] },
          { workload: "mnist-cnn", runtime: "pytorch-cpu", runs: [2_000, 2_000, 2_000] },
        ],
        note: "torch 1.13.0a0, 2 threads",
      },
    ],
  });
  const row = (table: string, workload: string, runtime: string) =>
    table
      .split("\n")
      .find((l) => l.startsWith(workload) && l.includes(runtime))
      ?.split(/\s{2,}/);

  it("prints each median rate with its peak memory, its median (min–max) ratio to PyTorch and whether the target is met", () => {
    const table = formatTable(summary(FAIR_PEER));
    // Ratios 1.25, 1.20, 1.30 (median 1.25 ≥ 1.0); 400 / 2000 = 0.20 < 0.6 in every pair. Peak RSS: the largest run's.
    expect(row(table, "mnist-mlp", "node-wasm")).toEqual([
      "mnist-mlp",
      "node-wasm",
      "25,000",
      "210 MiB",
      "1.25× (1.20–1.30)",
      "≥ 1.0× met",
    ]);
    expect(row(table, "mnist-cnn", "node-wasm")).toEqual([
      "mnist-cnn",
      "node-wasm",
      "400",
      "–",
      "0.20×",
      "≥ 0.6× missed",
    ]);
    expect(row(table, "mnist-cnn", "pytorch-cpu")).toEqual(["mnist-cnn", "pytorch-cpu", "2,000", "–", "1.00×"]);
    const lines = table.split("\n");
    expect(lines.findIndex((l) => l.startsWith("mnist-mlp"))).toBeLessThan(
      lines.findIndex((l) => l.startsWith("mnist-cnn")),
    );
    expect(lines).toContain("  chromium-webgpu skipped: no WebGPU adapter: requestAdapter() returned null");
    expect(table).toContain("median of 3 interleaved runs");
  });

  it("prints PyTorch's rate but no ratio when PyTorch runs on the reference BLAS", () => {
    const path = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";
    const reference: PeerInfo = { ...FAIR_PEER, blas: { kind: "reference", path, detail: null } };
    const table = formatTable(summary(reference));
    expect(row(table, "mnist-mlp", "node-wasm")).toEqual(["mnist-mlp", "node-wasm", "25,000", "210 MiB", "–"]);
    expect(row(table, "mnist-mlp", "pytorch-cpu")).toEqual(["mnist-mlp", "pytorch-cpu", "20,000", "–", "–"]);
    expect(table).toContain(
      `  PyTorch runs on the reference BLAS (${path}): install libopenblas0-pthread for a fair peer; no ratio printed`,
    );
    expect(toJsonOutput(summary(reference)).results.every((r) => r.ratioToPytorch === null)).toBe(true);
  });

  it("keeps only measured rows, with exactly the promised fields, in the JSON", () => {
    const out = toJsonOutput(summary(FAIR_PEER));
    expect(BenchOutput.parse(out)).toEqual(out);
    expect(out.pairs).toBe(3);
    expect(out.peer).toEqual(FAIR_PEER);
    expect(out.results.map((r) => [r.runtime, r.workload, r.samplesPerSec, r.peakRssBytes])).toEqual([
      ["node-wasm", "mnist-mlp", 25_000, 210 * 2 ** 20],
      ["node-wasm", "mnist-cnn", 400, null],
      ["pytorch-cpu", "mnist-mlp", 20_000, null],
      ["pytorch-cpu", "mnist-cnn", 2_000, null],
    ]);
  });

  it("rejects bad workload names and step counts with the fix", () => {
    expect(() => parseWorkloadList("mnist-mlp,resnet")).toThrow("unknown workload 'resnet': use mnist-mlp, mnist-cnn");
    expect(() => parseSteps("0")).toThrow("--steps must be a whole number from 1 to 100000");
    expect(() => parseSteps("2.5")).toThrow("--steps");
    expect(parseSteps("30")).toBe(30);
  });
});

describe("which BLAS the PyTorch peer runs on (bench/peer_blas.py)", () => {
  /** Calls peer_blas.`fn` on each argument list in one Python (the module needs only the standard library). */
  function callPeerBlas(fn: string, calls: unknown[][]): unknown[] {
    const code = `import json, sys; sys.path.insert(0, "bench"); import peer_blas; print(json.dumps([getattr(peer_blas, sys.argv[1])(*a) for a in json.loads(sys.argv[2])]))`;
    const run = spawnSync("python3", ["-c", code, fn, JSON.stringify(calls)], { cwd: ROOT, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout);
  }

  it("names an optimised BLAS by its own library, and a plain libblas as the reference BLAS", () => {
    const gomp = "/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0";
    // Debian with libopenblas0-pthread: libblas.so.3 is OpenBLAS's shim, next to the library itself.
    const openblasDir = "/usr/lib/x86_64-linux-gnu/openblas-pthread";
    const debianReference = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";
    const [openblas, reference, flexiblasNetlib, wheel, unknown] = callPeerBlas("classify", [
      [[gomp, `${openblasDir}/libblas.so.3`, `${openblasDir}/libopenblasp-r0.3.21.so`], "generic"],
      // Debian with only libblas3: netlib's reference BLAS.
      [[gomp, debianReference], "generic"],
      // FlexiBLAS dispatching to its netlib backend is the reference BLAS too.
      [["/usr/lib64/libflexiblas.so.3", "/usr/lib64/flexiblas/libflexiblas_netlib.so"], "generic"],
      // A pip wheel: MKL linked into libtorch, no BLAS file mapped.
      [[gomp], "mkl"],
      [[gomp], "generic"],
    ]);
    expect(openblas).toEqual({ kind: "openblas", path: `${openblasDir}/libopenblasp-r0.3.21.so` });
    expect(reference).toEqual({ kind: "reference", path: debianReference });
    expect(flexiblasNetlib).toMatchObject({ kind: "reference" });
    expect(wheel).toEqual({ kind: "builtin", path: null });
    expect(unknown).toEqual({ kind: "unknown", path: null });
  });

  it("lists each mapped file once from /proc/<pid>/maps", () => {
    const maps = [
      "7f0000000000-7f0000001000 r--p 00000000 00:00 0 ",
      "7f0000001000-7f0000002000 r--p 00000000 08:01 42 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3",
      "7f0000002000-7f0000003000 r-xp 00001000 08:01 42 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3",
      "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]",
    ].join("\n");
    expect(callPeerBlas("mapped_files", [[maps]])).toEqual([["/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"]]);
  });
});
