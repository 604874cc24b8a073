import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SweepFile, type TrainEvent } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The real `layerlab` bin in a subprocess, as a user runs it.
const BIN = resolve(__dirname, "../bin/layerlab.js");
const work = mkdtempSync(join(tmpdir(), "layerlab-sweep-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: "utf8", timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const read = <T>(...path: string[]): T => JSON.parse(readFileSync(join(work, ...path), "utf8")) as T;
function startEvent(...runDir: string[]): Extract<TrainEvent, { type: "start" }> {
  const lines = readFileSync(join(work, ...runDir, "events.jsonl"), "utf8")
    .trim()
    .split("\n");
  return lines.map((l) => JSON.parse(l) as TrainEvent).find((e) => e.type === "start") as Extract<
    TrainEvent,
    { type: "start" }
  >;
}

beforeAll(() => {
  const r = cli("shapes", "--out", "shapes", "--size", "8", "--n", "20", "--train-split", "0.8", "--seed", "1");
  expect(r.code, r.stderr).toBe(0);
});

const small = ["--epochs", "1", "--batch-size", "16", "--seed", "4"];

describe("layerlab sweep", () => {
  it("trains the grid into one folder; every run starts from the same weights and the same first batch", () => {
    const r = cli(
      "sweep",
      "mlp",
      "shapes",
      ...small,
      "--vary",
      "learningRate=0.001,0.05",
      "--vary",
      "optimizer=sgd,adam",
      "--save-dir",
      "lr-opt",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const file = SweepFile.parse(read("lr-opt", "sweep.json"));
    expect(file.runs.map((run) => run.label)).toEqual([
      "learningRate=0.001, optimizer=sgd",
      "learningRate=0.001, optimizer=adam",
      "learningRate=0.05, optimizer=sgd",
      "learningRate=0.05, optimizer=adam",
    ]);
    expect(file.control).toMatch(/same initial weights \(seed 4\).*only learningRate and optimizer differ/);
    const configs = file.runs.map((run) =>
      read<{ learningRate: number; optimizer: { name: string } }>("lr-opt", run.dir, "config.json"),
    );
    expect(configs.map((c) => [c.learningRate, c.optimizer.name])).toEqual([
      [0.001, "sgd"],
      [0.001, "adam"],
      [0.05, "sgd"],
      [0.05, "adam"],
    ]);
    const starts = file.runs.map((run) => startEvent("lr-opt", run.dir));
    expect(starts[0]!.initialWeightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(starts.map((s) => s.initialWeightsSha256)).size).toBe(1);
    expect(new Set(starts.map((s) => s.firstBatchSha256)).size).toBe(1);
    const summary = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
      type: string;
      runs: { score: number | null }[];
      findings: string[];
    };
    expect(summary.type).toBe("sweep");
    expect(summary.runs.every((run) => typeof run.score === "number" && run.score >= 0 && run.score <= 1)).toBe(true);
    expect(summary.findings[0]).toMatch(/^Best: .* at \d+\.\d%; worst: /);
    expect(read<{ findings: string[] }>("lr-opt", "summary.json").findings).toEqual(summary.findings);

    // Running it again finds every run done and trains nothing.
    const again = cli(
      "sweep",
      "mlp",
      "shapes",
      ...small,
      "--vary",
      "learningRate=0.001,0.05",
      "--vary",
      "optimizer=sgd,adam",
      "--save-dir",
      "lr-opt",
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr.match(/already done/g)).toHaveLength(4);
  }, 300_000);

  it("runs k-fold cross-validation: same initial weights, another held-out fold each, mean ± std", () => {
    const r = cli("sweep", "mlp", "shapes", ...small, "--folds", "3", "--save-dir", "kfold");
    expect(r.code, r.stderr).toBe(0);
    const file = SweepFile.parse(read("kfold", "sweep.json"));
    expect(file.runs).toHaveLength(3);
    const starts = file.runs.map((run) => startEvent("kfold", run.dir));
    expect(new Set(starts.map((s) => s.initialWeightsSha256)).size).toBe(1);
    expect(new Set(starts.map((s) => s.firstBatchSha256)).size).toBe(3);
    const folds = file.runs.map(
      (run) => read<{ crossValidation: unknown }>("kfold", run.dir, "config.json").crossValidation,
    );
    expect(folds).toEqual([0, 1, 2].map((fold) => ({ folds: 3, fold })));
    const { kfold } = read<{ kfold: { perFold: number[]; mean: number; text: string } }>("kfold", "summary.json");
    expect(kfold.perFold).toHaveLength(3);
    expect(kfold.mean).toBeCloseTo(kfold.perFold.reduce((a, b) => a + b, 0) / 3, 10);
    expect(r.stderr).toContain(kfold.text);
    expect(kfold.text).toMatch(/^\d+\.\d% ± \d+\.\d% over 3 folds$/);
  }, 300_000);

  it("refuses what cannot be a controlled sweep, naming the fix", () => {
    const none = cli("sweep", "mlp", "shapes");
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/say what to sweep/);
    const seed = cli("sweep", "mlp", "shapes", "--vary", "seed=1,2");
    expect(seed.code).toBe(2);
    expect(seed.stderr).toMatch(/'seed' cannot be swept: a sweep holds the seed fixed/);
    const both = cli("sweep", "mlp", "shapes", "--vary", "learningRate=0.1,0.2", "--folds", "3");
    expect(both.stderr).toMatch(/--folds and --vary do not go together/);
    const bad = cli("sweep", "mlp", "shapes", "--vary", "learningRate");
    expect(bad.stderr).toMatch(/--vary 'learningRate' is not SETTING=VALUE,VALUE/);
  }, 120_000);
});
