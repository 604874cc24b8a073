import { buildTemplate } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { engineLabel, wasmModeFor } from "../src/train/trainer";

const dense = { layers: [{ kind: "flatten" }, { kind: "dense" }, { kind: "relu" }, { kind: "dense" }] };
const conv = { layers: [{ kind: "conv2d" }, { kind: "relu" }, { kind: "flatten" }, { kind: "dense" }] };

describe("which worker trains a model", () => {
  it("keeps dense nets on one Wasm thread and conv nets on the pool when the page is isolated", () => {
    expect(wasmModeFor(dense, true)).toBe("single");
    expect(wasmModeFor(conv, true)).toBe("pool");
  });

  it("keeps a CNN whose convolutions the engine's own kernels train on one jax-js thread", () => {
    const cnn = buildTemplate("cnn", { inputShape: [1, 28, 28], classes: ["a", "b"] });
    expect(wasmModeFor(cnn, true)).toBe("single");
    const resnet = buildTemplate("resnet-20", { inputShape: [3, 32, 32], classes: ["a", "b"] });
    expect(wasmModeFor(resnet, true)).toBe("pool");
  });

  it("uses the one default worker when the page is not isolated (there is no pool to avoid)", () => {
    expect(wasmModeFor(dense, false)).toBe("pool");
    expect(wasmModeFor(conv, false)).toBe("pool");
  });

  it("labels the mode a run trains in", () => {
    expect(engineLabel({ backend: "wasm", threads: 1 })).toBe("Wasm, 1 thread");
    expect(engineLabel({ backend: "wasm", threads: 8 })).toBe("Wasm, 8 threads");
    expect(engineLabel({ backend: "webgpu", threads: 1 })).toBe("WebGPU");
    expect(engineLabel({ backend: "wasm", threads: 1, convThreads: 2 })).toBe(
      "Wasm, convolutions on 2 threads, the rest on 1",
    );
  });
});
