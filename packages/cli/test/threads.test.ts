import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { modelOfCommandLine, wasmThreadsForCommandLine } from "../src/threads";

const dir = mkdtempSync(join(tmpdir(), "layerlab-threads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const conv = { input: { shape: [1, 8, 8] }, layers: [{ kind: "conv2d", filters: 2, kernel: 3 }], classes: ["a", "b"] };
const dense = { input: { shape: [4] }, layers: [{ kind: "dense", units: 2 }], classes: ["a", "b"] };
writeFileSync(join(dir, "conv.json"), JSON.stringify(conv));
writeFileSync(join(dir, "spec.json"), JSON.stringify(dense));
writeFileSync(join(dir, "broken.json"), "{ not json");

describe("Wasm threads chosen from the command line, before jax-js loads", () => {
  const cores = availableParallelism();

  it("gives jax-js the pool for convolutions it runs, one thread for dense nets and the engine's conv stack", () => {
    // The CNN template's conv + pool blocks train on the engine's own kernels (with their own helper thread).
    expect(wasmThreadsForCommandLine(["train", "cnn", "mnist"], {})).toBe(1);
    // A residual network's convolutions are not a plain chain: jax-js runs them.
    expect(wasmThreadsForCommandLine(["train", "resnet-20", "cifar10"], {})).toBe(cores);
    // A conv that is the model's last layer has no head after it, so jax-js runs it too.
    expect(wasmThreadsForCommandLine(["train", join(dir, "conv.json"), "mnist"], {})).toBe(cores);
    expect(wasmThreadsForCommandLine(["train", "mlp", "mnist"], {})).toBe(1);
    // `resume DIR` reads the run folder's spec.json.
    expect(wasmThreadsForCommandLine(["resume", dir], {})).toBe(1);
  });

  it("stays on one thread for other commands and unreadable models, which the command then reports", () => {
    expect(wasmThreadsForCommandLine(["runs", "list"], {})).toBe(1);
    expect(wasmThreadsForCommandLine(["train", "--help"], {})).toBe(1);
    expect(modelOfCommandLine(["train", join(dir, "broken.json"), "mnist"])).toBeNull();
    expect(modelOfCommandLine(["train", join(dir, "missing.json"), "mnist"])).toBeNull();
  });

  it("follows LAYERLAB_WASM_THREADS when it is a whole number, and ignores it otherwise", () => {
    expect(wasmThreadsForCommandLine(["train", "mlp", "mnist"], { LAYERLAB_WASM_THREADS: "3" })).toBe(3);
    expect(wasmThreadsForCommandLine(["train", "cnn", "mnist"], { LAYERLAB_WASM_THREADS: "1" })).toBe(1);
    expect(wasmThreadsForCommandLine(["train", "mlp", "mnist"], { LAYERLAB_WASM_THREADS: "lots" })).toBe(1);
  });
});
