import { describe, expect, it } from "vitest";
import { analyzeSpec } from "../src/analyze";
import { layerName } from "../src/doctor/fixes";
import { layerLabel } from "../src/layer-label";
import type { ModelSpec } from "../src/model";

describe("layerLabel: one name for a layer in every view", () => {
  it("is the kind and the 1-based position in the layer list", () => {
    expect(layerLabel("dense", 0)).toBe("dense #1");
    expect(layerLabel("conv2d", 2)).toBe("conv2d #3");
  });

  it("the builder's problems and the doctor name the same layer the same way", () => {
    const spec = {
      input: { shape: [1, 28, 28] },
      layers: [{ kind: "flatten" }, { kind: "dense", units: 64 }, { kind: "dense", units: 7 }],
      classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    };
    const problem = analyzeSpec(spec).problems.find((p) => p.layer === 2);
    expect(problem?.message).toMatch(/^dense #3 has 7 units/);
    expect(layerName(spec as ModelSpec, 2)).toBe("dense #3");
  });
});
