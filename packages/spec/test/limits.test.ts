import { describe, expect, it } from "vitest";
import { analyzeSpec } from "../src/analyze";
import { formatBytes, MAX_SPEC_JSON_BYTES, MAX_SPEC_LAYERS, specSizeProblem } from "../src/limits";
import type { LayerInput } from "../src/model";

const TEN = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/** An MLP with `hidden` dense layers between flatten and the output. */
function deepMlp(hidden: number): { input: { shape: number[] }; layers: LayerInput[]; classes: string[] } {
  const layers: LayerInput[] = [
    { kind: "flatten" },
    ...Array.from({ length: hidden }, (): LayerInput => ({ kind: "dense", units: 8 })),
    { kind: "dense", units: 10 },
  ];
  return { input: { shape: [1, 28, 28] }, layers, classes: TEN };
}

describe("spec size limits", () => {
  it("accepts a spec of exactly the most layers allowed", () => {
    const spec = deepMlp(MAX_SPEC_LAYERS - 2);
    expect(spec.layers).toHaveLength(MAX_SPEC_LAYERS);
    expect(specSizeProblem(spec)).toBeNull();
    expect(analyzeSpec(spec).ok).toBe(true);
  });

  it("refuses one layer more, naming the count, the limit and the fix", () => {
    const a = analyzeSpec(deepMlp(MAX_SPEC_LAYERS - 1));
    expect(a.ok).toBe(false);
    expect(a.problems).toHaveLength(1);
    expect(a.problems[0]).toMatchObject({ severity: "error", field: "layers" });
    expect(a.problems[0]!.message).toBe(
      `the model has ${MAX_SPEC_LAYERS + 1} layers, more than the ${MAX_SPEC_LAYERS} LayerLab allows — remove layers until at most ${MAX_SPEC_LAYERS} remain`,
    );
  });

  it("answers an 800,000-layer spec without walking it", () => {
    const layers = new Array(800_000).fill({ kind: "dense", units: 10 });
    const start = performance.now();
    const a = analyzeSpec({ input: { shape: [1, 28, 28] }, layers, classes: TEN });
    expect(performance.now() - start).toBeLessThan(50);
    expect(a.layers).toEqual([]);
    expect(a.problems.map((p) => p.message)).toEqual([expect.stringContaining("the model has 800,000 layers")]);
  });

  it("refuses a spec whose JSON is over the byte limit, counting UTF-8 bytes", () => {
    const spec = deepMlp(1);
    // 3 bytes each in UTF-8: a third of the limit in characters, with the rest of the spec, is over it.
    const wide = { ...spec, name: "€".repeat(MAX_SPEC_JSON_BYTES / 3) };
    expect(JSON.stringify(wide).length).toBeLessThan(MAX_SPEC_JSON_BYTES);
    const problem = specSizeProblem(wide);
    expect(problem?.message).toContain(`more than the ${formatBytes(MAX_SPEC_JSON_BYTES)} LayerLab allows`);
    expect(specSizeProblem({ ...spec, name: "€".repeat(100) })).toBeNull();
  });

  it("leaves what is not a spec to the schema check", () => {
    expect(specSizeProblem(null)).toBeNull();
    expect(specSizeProblem("layers")).toBeNull();
    expect(specSizeProblem({ layers: "many" })).toBeNull();
    expect(analyzeSpec(undefined).problems[0]!.message).toContain("must be an object");
  });
});
