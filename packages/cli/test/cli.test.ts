import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { decodeSafetensors } from "@layerlab/engine";
import type { RunInfo, RunMetrics } from "@layerlab/runner";
import type { TrainEvent } from "@layerlab/spec";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProcessOutcome, runProcess } from "../../../bench/subprocess";
import { runCli } from "../src/program";

// Training, resuming and predicting run the real `layerlab` bin in a subprocess, as a user would, and so
// does one usage error. Commands that only read files or refuse their input run the program the bin runs
// in this process: a process start costs seconds of loading, and the bin adds nothing to them but
// `process.exitCode = await runCli(argv)`.
const BIN = resolve(__dirname, "../bin/layerlab.js");
const work = mkdtempSync(join(tmpdir(), "layerlab-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `cli` without blocking this process, so that a test can run other commands meanwhile. */
function cliAsync(...args: string[]): Promise<ProcessOutcome> {
  return runProcess(process.execPath, [BIN, ...args], { cwd: work, timeoutMs: 120_000 });
}

/** Runs the program the bin runs, in this process and in `work`: its exit code and what it wrote. */
async function cliHere(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const capture = (stream: "stdout" | "stderr") =>
    ((chunk: string | Uint8Array) => {
      out[stream] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    }) as typeof process.stdout.write;
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const cwd = process.cwd();
  process.stdout.write = capture("stdout");
  process.stderr.write = capture("stderr");
  process.chdir(work);
  try {
    const code = await runCli(args);
    return { code, ...out };
  } finally {
    process.chdir(cwd);
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}
const json = <T>(...path: string[]): T => JSON.parse(readFileSync(join(work, ...path), "utf8")) as T;
const jsonLines = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
const tensors = (...path: string[]) => decodeSafetensors(new Uint8Array(readFileSync(join(work, ...path)))).tensors;

function expectOneLineError(r: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split("\n");
  expect(lines.at(-2)).toMatch(/^error: /);
  expect(lines.at(-2)).toMatch(pattern);
  expect(lines.at(-1)).toMatch(/^hint: \S/);
}

beforeAll(() => {
  const r = cli("shapes", "--out", "shapes", "--size", "16", "--n", "60", "--train-split", "0.8", "--seed", "1");
  expect(r.code, r.stderr).toBe(0);
});

describe("layerlab shapes → train → predict → curves", () => {
  it("writes an ImageFolder dataset with the asked split", () => {
    expect(readdirSync(join(work, "shapes/train")).sort()).toEqual(["circle", "square", "triangle"]);
    expect(readdirSync(join(work, "shapes/train/circle"))).toHaveLength(48);
    expect(readdirSync(join(work, "shapes/test/circle"))).toHaveLength(12);
  });

  it("trains 2 epochs into a run folder, printing events as JSON lines", () => {
    const r = cli(
      "train",
      "simple-nn",
      "./shapes",
      "--img-size",
      "16",
      "--grayscale",
      "1",
      "--epochs",
      "2",
      "--batch-size",
      "16",
      "--hidden",
      "32",
      "--lr",
      "0.01",
      "--l2",
      "1e-4",
      "--lr-decay",
      "0.5",
      "--lr-decay-epochs",
      "1",
      "--seed",
      "3",
      "--save-dir",
      "runs/e2e",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const events = jsonLines(r.stdout) as TrainEvent[];
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.at(-1)!.type).toBe("done");
    const metrics = json<RunMetrics>("runs/e2e/metrics.json");
    expect(metrics.train_loss).toHaveLength(2);
    // --lr-decay 0.5 after epoch 1: a step schedule.
    expect(metrics.lr).toEqual([0.01, 0.005]);
    const config = json<{ weightDecay: number; seed: number; schedule: unknown }>("runs/e2e/config.json");
    expect(config).toMatchObject({
      weightDecay: 1e-4,
      seed: 3,
      schedule: { name: "step", gamma: 0.5, milestones: [1] },
    });
    const spec = json<{ layers: { kind: string; units?: number }[] }>("runs/e2e/spec.json");
    expect(spec.layers.filter((l) => l.kind === "dense").map((l) => l.units)).toEqual([32, 3]);
    expect(json<RunInfo>("runs/e2e/run.json")).toMatchObject({
      status: "succeeded",
      preprocessing: { inputShape: [1, 16, 16], colorMode: "grayscale" },
      // A dense net trains on one Wasm thread (the worker pool slows it down).
      environment: { wasmThreads: 1 },
    });
  });

  it("trains a CNN's conv blocks on the engine's own kernels, a thread per core, and the rest on one", () => {
    const r = cli(
      "train",
      "cnn",
      "./shapes",
      "--img-size",
      "16",
      "--grayscale",
      "1",
      "--epochs",
      "1",
      "--limit",
      "64",
      "--save-dir",
      "runs/cnn",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const info = json<RunInfo>("runs/cnn/run.json");
    expect(info.status).toBe("succeeded");
    expect(info.environment).toMatchObject({ wasmThreads: 1, convThreads: availableParallelism() });
  });

  it("predicts the test images exactly as the run's own test evaluation did", () => {
    const files = ["circle", "square", "triangle"].flatMap((c) =>
      readdirSync(join(work, "shapes/test", c)).map((f) => ({ path: join("shapes/test", c, f), label: c })),
    );
    const r = cli("predict", "--run", "runs/e2e", "--checkpoint", "last", "--json", ...files.map((f) => f.path));
    expect(r.code, r.stderr).toBe(0);
    const predictions = jsonLines(r.stdout) as { className: string; probabilities: { probability: number }[] }[];
    expect(predictions).toHaveLength(files.length);
    for (const p of predictions) expect(p.probabilities.reduce((a, b) => a + b.probability, 0)).toBeCloseTo(1, 5);
    const correct = predictions.filter((p, i) => p.className === files[i]!.label).length;
    // Same pixels, normalisation and weights as the final evaluation: the same accuracy, to the image.
    expect(correct / files.length).toBe(json<{ accuracy: number }>("runs/e2e/test.json").accuracy);
  });

  it("predicts a JPEG of another size and prints a table", async () => {
    await sharp(join(work, "shapes/test/circle/00000.png")).resize(40, 40).jpeg().toFile(join(work, "circle.jpg"));
    const r = cli("predict", "--run", "runs/e2e", "circle.jpg");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^circle\.jpg: (circle|square|triangle) \(\d+\.\d%\)/);
    expect(r.stdout.trim().split("\n")).toHaveLength(4);
  });

  it("draws curves.png", async () => {
    const r = await cliHere("curves", "runs/e2e", "--out", "curves.png");
    expect(r.code, r.stderr).toBe(0);
    const meta = await sharp(join(work, "curves.png")).metadata();
    expect(meta).toMatchObject({ format: "png", width: 960 });
    // Not a blank canvas: the lines and text leave many distinct colours.
    const { data } = await sharp(join(work, "curves.png")).raw().toBuffer({ resolveWithObject: true });
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 3) colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    expect(colours.size).toBeGreaterThan(20);
  });

  it("lists and shows runs", async () => {
    const list = await cliHere("runs", "list", "runs");
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/e2e\s+succeeded\s+2\/2\s+shapes/);
    const show = await cliHere("runs", "show", "runs/e2e");
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^2\s+\d\.\d{4}/m);
  });
});

describe("Ctrl-C and resume", () => {
  // Enough steps per epoch (81) that Ctrl-C lands inside one.
  const args = [
    "./shapes28",
    "--hidden",
    "256,256",
    "--epochs",
    "4",
    "--batch-size",
    "4",
    "--seed",
    "5",
    "--log-every",
    "1",
    "--json",
  ];
  beforeAll(() => {
    expect(cli("shapes", "--out", "shapes28", "--n", "150", "--seed", "2").code).toBe(0);
  });

  it("leaves a consistent, resumable folder when interrupted mid-epoch, and resume finishes it exactly", {
    timeout: 180_000,
  }, async () => {
    // The oracle, the same run without interruption, trains meanwhile: a dense net uses one core of two.
    const straightRun = cliAsync("train", "simple-nn", ...args, "--save-dir", "runs/straight");
    const child = spawn(process.execPath, [BIN, "train", "simple-nn", ...args, "--save-dir", "runs/int"], {
      cwd: work,
    });
    let out = "";
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdout.on("data", (d) => {
      out += d;
      if (sent) return;
      // Wait for epoch 1's checkpoint and a batch of epoch 2, then press Ctrl-C.
      const events = out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as TrainEvent);
      if (events.some((e) => e.type === "checkpoint") && events.some((e) => e.type === "batch" && e.epoch >= 2)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    const code = await new Promise<number | null>((done) => child.on("close", done));
    expect(sent).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/hint: continue it with 'layerlab resume/);

    const info = json<RunInfo>("runs/int/run.json");
    expect(info.status).toBe("aborted");
    const events = readFileSync(join(work, "runs/int/events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const aborted = events.at(-1) as TrainEvent & { epoch: number };
    expect(aborted.type).toBe("aborted");
    // Stopped inside the epoch after the last checkpoint; metrics hold exactly the checkpointed epochs.
    expect(aborted.epoch).toBe(info.epochsDone + 1);
    expect(json<RunMetrics>("runs/int/metrics.json").train_loss).toHaveLength(info.epochsDone);
    expect(existsSync(join(work, "runs/int/optimizer.safetensors"))).toBe(true);
    expect(readdirSync(join(work, "runs/int")).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    const resumed = await cliAsync("resume", "runs/int", "--json");
    expect(resumed.code, resumed.stderr).toBe(0);
    const all = readFileSync(join(work, "runs/int/events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(all.map((e: TrainEvent) => e.seq)).toEqual(all.map((_: unknown, i: number) => i));
    expect(json<RunInfo>("runs/int/run.json")).toMatchObject({ status: "succeeded", epochsDone: 4 });
    expect(json<RunMetrics>("runs/int/metrics.json").train_loss).toHaveLength(4);

    // The oracle: the same run without interruption ends with the same weights, bit for bit.
    const straight = await straightRun;
    expect(straight.code, straight.stderr).toBe(0);
    const a = tensors("runs/straight/weights.safetensors");
    const b = tensors("runs/int/weights.safetensors");
    for (const name of Object.keys(a))
      expect(Buffer.from(b[name]!.data.buffer).equals(Buffer.from(a[name]!.data.buffer))).toBe(true);
  });

  it("refuses to resume a finished run", async () => {
    expectOneLineError(await cliHere("resume", "runs/int"), /already finished/);
  });
});

describe("bad input", () => {
  it("gives one line and a hint for an unknown flag", () => {
    const r = cli("train", "mlp", "./shapes", "--epohcs", "3");
    expectOneLineError(r, /unknown option '--epohcs'/);
    expect(r.code).toBe(2);
  });

  it("names a bad flag value", async () => {
    expectOneLineError(
      await cliHere("train", "mlp", "./shapes", "--lr", "fast"),
      /--lr <number>.*'fast' is not a number/,
    );
    expectOneLineError(
      await cliHere("train", "mlp", "./shapes", "--optimizer", "sgdd"),
      /Allowed choices are sgd, adam/,
    );
  });

  it("rejects a config value out of range before creating the run folder", async () => {
    expectOneLineError(await cliHere("train", "mlp", "./shapes", "--epochs", "0", "--save-dir", "runs/bad"), /epochs/);
    expect(existsSync(join(work, "runs/bad"))).toBe(false);
  });

  it("names a missing dataset, model and image", async () => {
    expectOneLineError(await cliHere("train", "mlp", "./no-such-folder"), /no dataset '\.\/no-such-folder'/);
    expectOneLineError(await cliHere("train", "resnet", "./shapes"), /no template or spec file 'resnet'/);
    expectOneLineError(await cliHere("predict", "--run", "runs/e2e", "missing.png"), /cannot read image missing\.png/);
    expectOneLineError(await cliHere("predict", "--run", "runs/none", "circle.jpg"), /does not exist/);
    // Loads the model before it finds the bad image: the bin's own process, where jax-js starts as a user's would.
    expectOneLineError(
      cli("predict", "--run", "runs/e2e", "curves.png", "runs/e2e/run.json"),
      /run\.json is not an image/,
    );
  });

  it("refuses --hidden for a template without hidden layers", async () => {
    expectOneLineError(
      await cliHere("train", "cnn", "./shapes", "--hidden", "64"),
      /--hidden does not apply to the cnn template/,
    );
  });

  it("shows help for every command", async () => {
    const bin = cli("--help");
    expect(bin.code).toBe(0);
    expect(bin.stdout).toMatch(/^Usage: layerlab/);
    // Each command's help comes from the program the bin just ran; reading it here saves a process start
    // (seconds of loading) per command.
    for (const command of [
      [],
      ["train"],
      ["predict"],
      ["datasets"],
      ["datasets", "import"],
      ["shapes"],
      ["runs", "list"],
      ["curves"],
      ["resume"],
    ]) {
      const r = await cliHere(...command, "--help");
      expect(r.code, command.join(" ")).toBe(0);
      expect(r.stdout, command.join(" ")).toMatch(/^Usage: layerlab/);
    }
  });
});
