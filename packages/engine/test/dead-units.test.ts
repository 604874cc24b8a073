import { numpy as np } from "@jax-js/jax";
import type { ImageSet } from "@layerlab/data-core";
import { describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { evaluate } from "../src/evaluate";
import { disposeVars } from "../src/io/checkpoint";
import { buildModel } from "../src/model";

const spec = {
  input: { shape: [1, 4, 4] },
  layers: [{ kind: "flatten" }, { kind: "dense", units: 4, activation: "relu" }, { kind: "dense", units: 2 }],
  classes: ["a", "b"],
};

/** Eight random 4×4 grey images with alternating labels. */
function imageSet(): ImageSet {
  const images = Uint8Array.from({ length: 8 * 16 }, (_, i) => (i * 37) % 256);
  return { images, labels: Uint8Array.from({ length: 8 }, (_, i) => i % 2), count: 8 };
}

describe("evaluate: dead units", () => {
  it("counts the ReLU units that no image fires: two biases far below zero kill two of four", async () => {
    await initBackend();
    const model = buildModel(spec);
    const vars = model.init(3);
    vars.params["1.bias"]!.dispose();
    // Inputs are normalised to about ±2 and weights are ≈±0.25, so ±1000 decides every unit.
    vars.params["1.bias"] = np.array(new Float32Array([-1000, 1000, -1000, 1000]));
    const normalization = { mean: [0.5], std: [0.25] };
    const result = await evaluate(model, vars, imageSet(), { normalization });
    expect(result.deadUnits).toEqual([{ layer: 1, fraction: 0.5 }]);
    // Skipped on request (validation passes during training do not need it).
    expect((await evaluate(model, vars, imageSet(), { normalization, deadUnitSample: 0 })).deadUnits).toEqual([]);
    disposeVars(vars);
  });
});
