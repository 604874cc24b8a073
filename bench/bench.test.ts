/**
 * Tests of the benchmark harness (not of speed): the `--json` contract, the
 * table's ratio arithmetic and the errors for bad flags.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findTorchPython } from "./pytorch";
import { BenchOutput, type RuntimeReport, toJsonOutput } from "./results";
import { formatTable } from "./table";
import { parseSteps, parseWorkloadList } from "./workloads";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function bench(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 240_000,
  });
}

describe("npm run bench --json", () => {
  it("prints exactly one JSON object with a row per workload and runtime run", async () => {
    const run = bench(["--json", "--only", "node,pytorch", "--steps", "5"]);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const out = BenchOutput.parse(JSON.parse(lines[0]!));
    const rows = out.results.map((r) => `${r.runtime}/${r.workload}`).sort();
    const expected = ["node-wasm/mnist-cnn", "node-wasm/mnist-mlp"];
    if (await findTorchPython()) expected.push("pytorch-cpu/mnist-cnn", "pytorch-cpu/mnist-mlp");
    expect(rows).toEqual(expected.sort());
    for (const r of out.results) expect(Number.isFinite(r.samplesPerSec)).toBe(true);
  }, 300_000);

  it("trains with the engine inside headless Chromium, on Wasm (threaded for conv nets) and on WebGPU", () => {
    // The engine's browser path: the page is cross-origin isolated, so a conv net gets jax-js's Wasm
    // worker pool while a dense net stays on one thread (the studio's policy), and Chromium's
    // SwiftShader adapter gives WebGPU. CI installs Debian's chromium, so no skip here.
    const run = bench(["--json", "--only", "chromium", "--steps", "10"]);
    expect(run.status, run.stderr).toBe(0);
    const out = BenchOutput.parse(JSON.parse(run.stdout.trim()));
    expect(out.results.map((r) => `${r.runtime}/${r.workload}`).sort()).toEqual([
      "chromium-wasm/mnist-cnn",
      "chromium-wasm/mnist-mlp",
      "chromium-webgpu/mnist-cnn",
      "chromium-webgpu/mnist-mlp",
    ]);
    for (const r of out.results) expect(r.samplesPerSec).toBeGreaterThan(0);
    const wasmPages = [...run.stderr.matchAll(/chromium-wasm: done \((\d+) workers/g)].map((m) => Number(m[1]));
    expect(wasmPages).toHaveLength(2);
    expect(wasmPages[0]).toBe(0); // mnist-mlp
    expect(wasmPages[1]).toBeGreaterThan(0); // mnist-cnn
  }, 300_000);

  it("refuses an unknown runtime with a message naming the choices", () => {
    const run = bench(["--json", "--only", "gpu"]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("unknown runtime 'gpu'");
    expect(run.stderr).toContain("node, chromium, pytorch");
  }, 60_000);
});

describe("report formatting", () => {
  const reports: RuntimeReport[] = [
    {
      runtime: "node-wasm",
      status: "ok",
      results: [
        { workload: "mnist-mlp", runtime: "node-wasm", samplesPerSec: 25_000 },
        { workload: "mnist-cnn", runtime: "node-wasm", samplesPerSec: 400 },
      ],
    },
    { runtime: "chromium-webgpu", status: "skipped", reason: "no WebGPU adapter: requestAdapter() returned null" },
    {
      runtime: "pytorch-cpu",
      status: "ok",
      results: [
        { workload: "mnist-mlp", runtime: "pytorch-cpu", samplesPerSec: 20_000 },
        { workload: "mnist-cnn", runtime: "pytorch-cpu", samplesPerSec: 2_000 },
      ],
    },
  ];

  it("prints each rate with its ratio to PyTorch and whether the target is met", () => {
    const lines = formatTable(reports).split("\n");
    const row = (workload: string, runtime: string) =>
      lines.find((l) => l.startsWith(workload) && l.includes(runtime))?.split(/\s{2,}/);
    // 25000 / 20000 = 1.25 ≥ 1.0; 400 / 2000 = 0.20 < 0.5.
    expect(row("mnist-mlp", "node-wasm")).toEqual(["mnist-mlp", "node-wasm", "25,000", "1.25×", "≥ 1.0× met"]);
    expect(row("mnist-cnn", "node-wasm")).toEqual(["mnist-cnn", "node-wasm", "400", "0.20×", "≥ 0.5× missed"]);
    expect(row("mnist-cnn", "pytorch-cpu")).toEqual(["mnist-cnn", "pytorch-cpu", "2,000", "1.00×"]);
    expect(lines).toContain("  chromium-webgpu skipped: no WebGPU adapter: requestAdapter() returned null");
  });

  it("keeps only measured rows, with exactly the three promised fields, in the JSON", () => {
    const out = toJsonOutput(reports);
    expect(BenchOutput.parse(out)).toEqual(out);
    expect(out.results).toEqual([
      { workload: "mnist-mlp", runtime: "node-wasm", samplesPerSec: 25_000 },
      { workload: "mnist-cnn", runtime: "node-wasm", samplesPerSec: 400 },
      { workload: "mnist-mlp", runtime: "pytorch-cpu", samplesPerSec: 20_000 },
      { workload: "mnist-cnn", runtime: "pytorch-cpu", samplesPerSec: 2_000 },
    ]);
  });

  it("rejects bad workload names and step counts with the fix", () => {
    expect(() => parseWorkloadList("mnist-mlp,resnet")).toThrow("unknown workload 'resnet': use mnist-mlp, mnist-cnn");
    expect(() => parseSteps("0")).toThrow("--steps must be a whole number from 1 to 100000");
    expect(() => parseSteps("2.5")).toThrow("--steps");
    expect(parseSteps("30")).toBe(30);
  });
});
