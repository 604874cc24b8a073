import { describe, expect, it } from "vitest";
import { analyzeSpec, type SpecAnalysis } from "../src/analyze";
import { applyEdit } from "../src/edits";
import type { LayerInput, ModelSpecInput } from "../src/model";
import type { Problem } from "../src/problems";
import { fittingKernel } from "../src/shapes";

const TEN = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

function spec(layers: LayerInput[], shape: number[] = [1, 28, 28], classes: string[] = TEN): ModelSpecInput {
  return { input: { shape }, layers, classes };
}

/** The one problem whose message starts with `prefix`; fails the test when there is not exactly one. */
function problemStarting(a: SpecAnalysis, prefix: string): Problem {
  const found = a.problems.filter((p) => p.message.startsWith(prefix));
  expect(
    found.map((p) => p.message),
    `problems: ${a.problems.map((p) => p.message).join(" | ")}`,
  ).toHaveLength(1);
  return found[0]!;
}

/** Applies the problem's autofix and returns the new spec with its analysis. */
function applyAutofix(s: ModelSpecInput, p: Problem): { fixed: ModelSpecInput; after: SpecAnalysis } {
  expect(p.autofix, `no autofix on: ${p.message}`).toBeDefined();
  const fixed = applyEdit(s, p.autofix!);
  return { fixed, after: analyzeSpec(fixed) };
}

const messages = (a: SpecAnalysis) => a.problems.map((p) => p.message);

const MLP: LayerInput[] = [
  { kind: "flatten" },
  { kind: "dense", units: 128, activation: "relu" },
  { kind: "dense", units: 64, activation: "relu" },
  { kind: "dense", units: 10 },
];

describe("analyzeSpec: structural problems, their fixes and autofixes", () => {
  it("an empty layer list: add flatten, then dense(classes)", () => {
    const s = spec([]);
    const a = analyzeSpec(s);
    expect(a.ok).toBe(false);
    const p = problemStarting(a, "the model has no layers");
    expect(p).toMatchObject({ severity: "error", layer: null, field: "layers" });
    expect(p.message).toBe("the model has no layers — add flatten and dense(10), or start from a template");
    const step1 = applyAutofix(s, p);
    expect(messages(step1.after)).toEqual([
      "the model ends in a [784] tensor but the dataset has 10 classes — add dense(10)",
    ]);
    const step2 = applyAutofix(step1.fixed, step1.after.problems[0]!);
    expect(step2.after.ok).toBe(true);
    expect(step2.after.problems).toEqual([]);
  });

  it("an input shape of rank 2: suggests [1,H,W] and analyses as if it were", () => {
    const s = spec(MLP, [28, 28]);
    const a = analyzeSpec(s);
    const p = problemStarting(a, "the input shape [28,28]");
    expect(p).toMatchObject({ severity: "error", layer: null, field: "input.shape" });
    expect(p.message).toBe("the input shape [28,28] has no channel dimension — use [1,28,28] (channels first)");
    expect(a.problems).toHaveLength(1);
    expect(a.totals.params).toBe(109_386);
    const { after } = applyAutofix(s, p);
    expect(after.ok).toBe(true);
    expect(after.spec?.input.shape).toEqual([1, 28, 28]);
  });

  it("dense on a 3-D tensor needs a flatten; the walk goes on as if it were inserted", () => {
    const s = spec([
      { kind: "conv2d", filters: 32, kernel: 3, activation: "relu" },
      { kind: "maxPool2d" },
      { kind: "conv2d", filters: 64, kernel: 3, activation: "relu" },
      { kind: "dense", units: 128, activation: "relu" },
      { kind: "dense", units: 10 },
    ]);
    const a = analyzeSpec(s);
    const p = problemStarting(a, "dense #4");
    expect(p).toMatchObject({
      severity: "error",
      layer: 3,
      field: null,
      fix: "insert a flatten layer before dense #4",
    });
    expect(p.message).toBe("dense #4 after a 3-D tensor needs a flatten — insert one");
    expect(a.problems).toHaveLength(1);
    expect(a.layers).toHaveLength(5);
    expect(a.outShape).toEqual([10]);
    const { after } = applyAutofix(s, p);
    expect(after.ok).toBe(true);
    expect(after.spec?.layers[3]).toEqual({ kind: "flatten" });
    // The assumed flatten gives the same counts as the real one.
    expect(after.totals.params).toBe(a.totals.params);
  });

  it("conv2d after the flatten: the autofix moves it back before the flatten; the walk goes on as if it were not there", () => {
    const s = spec([{ kind: "flatten" }, { kind: "conv2d", filters: 8, kernel: 3 }, { kind: "dense", units: 10 }]);
    const a = analyzeSpec(s);
    const p = problemStarting(a, "conv2d #2");
    expect(p.message).toBe(
      "conv2d #2 needs a [channels,height,width] input but gets [784] — move conv2d #2 before the flatten/dense layers, or remove it",
    );
    expect(p).toMatchObject({ severity: "error", layer: 1, autofix: { op: "moveLayer", from: 1, to: 0 } });
    expect(a.problems).toHaveLength(1);
    expect(a.outShape).toEqual([10]);
    const { after } = applyAutofix(s, p);
    expect(after.problems).toEqual([]);
    expect(after.spec?.layers.map((l) => l.kind)).toEqual(["conv2d", "flatten", "dense"]);
    // 8 filters of 3×3 over 26×26 outputs, then 8·26·26 features into 10 units.
    expect(after.totals.flops).toBe(2 * 9 * 8 * 26 * 26 + 2 * 8 * 26 * 26 * 10);
  });

  it("conv2d after dense layers moves before the first of them (the one that made the vector)", () => {
    const s = spec([
      { kind: "conv2d", filters: 4, kernel: 3 },
      { kind: "flatten" },
      { kind: "dense", units: 32, activation: "relu" },
      { kind: "conv2d", filters: 8, kernel: 3 },
      { kind: "dense", units: 10 },
    ]);
    const p = problemStarting(analyzeSpec(s), "conv2d #4");
    expect(p.autofix).toEqual({ op: "moveLayer", from: 3, to: 1 });
    const { after } = applyAutofix(s, p);
    expect(after.ok).toBe(true);
    expect(after.spec?.layers.map((l) => l.kind)).toEqual(["conv2d", "conv2d", "flatten", "dense", "dense"]);
  });

  it("conv2d on a vector input with no image before it: the autofix removes it", () => {
    const s = spec(
      [
        { kind: "conv2d", filters: 8, kernel: 3 },
        { kind: "dense", units: 10 },
      ],
      [784],
    );
    const p = problemStarting(analyzeSpec(s), "conv2d #1");
    expect(p.autofix).toEqual({ op: "removeLayer", at: 0 });
    const { after } = applyAutofix(s, p);
    expect(after.ok).toBe(true);
  });

  it.each([
    ["maxPool2d", { kind: "maxPool2d" }],
    ["avgPool2d", { kind: "avgPool2d", size: 3 }],
    ["globalAvgPool", { kind: "globalAvgPool" }],
  ] as const)("%s on a 1-D tensor: error with a remove autofix; the walk skips it", (kind, layer) => {
    const s = spec([{ kind: "flatten" }, layer, { kind: "dense", units: 10 }]);
    const a = analyzeSpec(s);
    const p = problemStarting(a, `${kind} #2`);
    expect(p.message).toBe(
      `${kind} #2 needs a [channels,height,width] input but gets [784] — move ${kind} #2 before the flatten/dense layers, or remove it`,
    );
    expect(a.problems).toHaveLength(1);
    expect(a.outShape).toEqual([10]);
    const { after } = applyAutofix(s, p);
    expect(after.ok).toBe(true);
    expect(after.problems).toEqual([]);
  });

  it("a kernel larger than its input; the autofix picks the largest odd kernel that fits", () => {
    const s = spec(
      [
        { kind: "conv2d", filters: 8, kernel: 3, activation: "relu" },
        { kind: "maxPool2d" },
        { kind: "conv2d", filters: 16, kernel: 5, activation: "relu" },
        { kind: "flatten" },
        { kind: "dense", units: 10 },
      ],
      [1, 8, 8],
    );
    const a = analyzeSpec(s);
    const p = problemStarting(a, "conv2d #3");
    expect(p.message).toBe(
      "conv2d #3: kernel 5 is larger than its 3×3 input — use kernel 3, which fits (any kernel ≤ 3 does)",
    );
    expect(p).toMatchObject({ severity: "error", layer: 2, field: "kernel" });
    expect(p.autofix).toEqual({ op: "setField", layer: 2, field: "kernel", value: 3 });
    expect(a.problems).toHaveLength(1);
    expect(a.layers[3]?.inShape).toEqual([16, 1, 1]);
    const { after } = applyAutofix(s, p);
    expect(after.ok).toBe(true);
    expect(after.problems).toEqual([]);
  });

  it("a 40×40 kernel on a 28×28 input becomes a 5×5 kernel, not 80 MFLOPs of 'same' padding", () => {
    const s = spec([{ kind: "conv2d", filters: 32, kernel: 40 }, { kind: "flatten" }, { kind: "dense", units: 10 }]);
    const p = problemStarting(analyzeSpec(s), "conv2d #1");
    expect(p.fix).toBe("use kernel 5, which fits (any kernel ≤ 28 does)");
    expect(p.autofix).toEqual({ op: "setField", layer: 0, field: "kernel", value: 5 });
    const { after } = applyAutofix(s, p);
    expect(after.ok).toBe(true);
    expect(after.layers[0]?.outShape).toEqual([32, 24, 24]);
    // 2 · 25 weights · 32·24·24 outputs ≈ 0.9 MFLOPs for the conv.
    expect(after.layers[0]?.flops).toBe(2 * 25 * 32 * 24 * 24);
    expect(after.totals.flops).toBeLessThan(2e6);
  });

  it.each([
    [1, 1],
    [2, 1],
    [3, 3],
    [4, 3],
    [5, 5],
    [28, 5],
  ])("on a %i-pixel side the suggested kernel is %i", (side, kernel) => {
    expect(fittingKernel(side)).toBe(kernel);
    const s = spec(
      [{ kind: "conv2d", filters: 2, kernel: side + 1 }, { kind: "flatten" }, { kind: "dense", units: 10 }],
      [1, side, side],
    );
    const { after } = applyAutofix(s, problemStarting(analyzeSpec(s), "conv2d #1"));
    expect(after.ok).toBe(true);
  });

  it("a pooling window larger than its input (output size ≤ 0); the autofix removes it", () => {
    const s = spec(
      [{ kind: "maxPool2d", size: 4 }, { kind: "flatten" }, { kind: "dense", units: 2 }],
      [1, 3, 3],
      ["a", "b"],
    );
    const a = analyzeSpec(s);
    const p = problemStarting(a, "maxPool2d #1");
    expect(p.message).toBe("maxPool2d #1: window 4 is larger than its 3×3 input — remove the pooling or use size ≤ 3");
    expect(p).toMatchObject({ severity: "error", layer: 0, field: "size" });
    expect(a.layers[1]?.inShape).toEqual([1, 3, 3]);
    expect(applyAutofix(s, p).after.ok).toBe(true);

    const onOne = analyzeSpec(
      spec([{ kind: "avgPool2d" }, { kind: "flatten" }, { kind: "dense", units: 2 }], [4, 1, 1], ["a", "b"]),
    );
    expect(messages(onOne)).toEqual(["avgPool2d #1: window 2 is larger than its 1×1 input — remove the pooling"]);
  });

  it("a last dense with the wrong number of units", () => {
    const s = spec([...MLP.slice(0, 3), { kind: "dropout", rate: 0.2 }, { kind: "dense", units: 5 }]);
    const a = analyzeSpec(s);
    const p = problemStarting(a, "dense #5");
    expect(p.message).toBe("dense #5 has 5 units but the dataset has 10 classes — set units to 10");
    expect(p).toMatchObject({ severity: "error", layer: 4, field: "units", fix: "set units to 10" });
    expect(applyAutofix(s, p).after.problems).toEqual([]);
  });

  it("a model ending in an image tensor: add flatten and dense(classes)", () => {
    const s = spec([
      { kind: "conv2d", filters: 32, kernel: 3, activation: "relu" },
      { kind: "maxPool2d" },
      { kind: "conv2d", filters: 64, kernel: 3, activation: "relu" },
      { kind: "maxPool2d" },
    ]);
    const a = analyzeSpec(s);
    expect(messages(a)).toEqual(["the model ends in a [64,5,5] tensor — add flatten and dense(10)"]);
    const step1 = applyAutofix(s, a.problems[0]!);
    expect(messages(step1.after)).toEqual([
      "the model ends in a [1600] tensor but the dataset has 10 classes — add dense(10)",
    ]);
    expect(applyAutofix(step1.fixed, step1.after.problems[0]!).after.problems).toEqual([]);
  });

  it("an activation on the logits, fused or as a layer, is a warning with a remove autofix", () => {
    const fused = spec([...MLP.slice(0, 3), { kind: "dense", units: 10, activation: { fn: "leakyRelu", alpha: 0.1 } }]);
    const a = analyzeSpec(fused);
    expect(a.ok).toBe(true);
    const p = problemStarting(a, "dense #4 applies leakyRelu to the logits");
    expect(p).toMatchObject({ severity: "warning", layer: 3, field: "activation" });
    expect(p.message).toBe(
      "dense #4 applies leakyRelu to the logits; the loss applies softmax itself, so an activation here hurts learning — remove it",
    );
    const fixed = applyAutofix(fused, p);
    expect(fixed.after.problems).toEqual([]);
    expect(fixed.after.spec?.layers[3]).not.toHaveProperty("activation");

    const layered = spec([...MLP, { kind: "activation", fn: "sigmoid" }]);
    const b = analyzeSpec(layered);
    const q = problemStarting(b, "activation #5 applies sigmoid to the logits of dense #4");
    expect(q).toMatchObject({ severity: "warning", layer: 4 });
    expect(applyAutofix(layered, q).after.problems).toEqual([]);
  });

  it("dropout after the output layer drops logits", () => {
    const s = spec([...MLP, { kind: "dropout", rate: 0.2 }]);
    const p = problemStarting(analyzeSpec(s), "dropout #5 comes after the output layer dense #4");
    expect(p.severity).toBe("warning");
    expect(applyAutofix(s, p).after.problems).toEqual([]);
  });

  it("a dropout rate of 0.9 or more", () => {
    const s = spec([
      { kind: "flatten" },
      { kind: "dense", units: 64, activation: "relu" },
      { kind: "dropout", rate: 0.95 },
      { kind: "dense", units: 10 },
    ]);
    const a = analyzeSpec(s);
    expect(a.ok).toBe(true);
    const p = problemStarting(a, "dropout #3");
    expect(p).toMatchObject({ severity: "warning", layer: 2, field: "rate", fix: "use a rate between 0.2 and 0.5" });
    expect(p.message).toBe(
      "dropout #3: rate 0.95 drops almost every activation, so the network can hardly learn — use a rate between 0.2 and 0.5",
    );
    expect(applyAutofix(s, p).after.problems).toEqual([]);
  });

  it("flatten on a 1-D tensor has no effect", () => {
    const s = spec([{ kind: "flatten" }, { kind: "flatten" }, { kind: "dense", units: 10 }]);
    const p = problemStarting(analyzeSpec(s), "flatten #2");
    expect(p).toMatchObject({
      severity: "warning",
      layer: 1,
      message: "flatten #2 on [784] features has no effect — remove it",
    });
    expect(applyAutofix(s, p).after.problems).toEqual([]);
  });

  it("more than 50M parameters is a warning naming the biggest layer", () => {
    // 12,288·8,192 + 8,192 = 100,671,488; + 8,192·3 + 3 = 24,579.
    const a = analyzeSpec(
      spec(
        [{ kind: "flatten" }, { kind: "dense", units: 8192 }, { kind: "dense", units: 3 }],
        [3, 64, 64],
        ["a", "b", "c"],
      ),
    );
    expect(a.ok).toBe(true);
    expect(a.totals.params).toBe(100_696_067);
    expect(messages(a)).toEqual([
      "the model has 100.7M parameters (over 50M), 100.7M of them in dense #2; it will train slowly and may not fit in browser memory — add pooling before the flatten, or use fewer units or filters",
    ]);
    expect(a.problems[0]).toMatchObject({ severity: "warning", layer: 1 });
  });

  it("'same' padding with an even kernel pads unevenly", () => {
    const s = spec([
      { kind: "conv2d", filters: 4, kernel: 4, padding: "same" },
      { kind: "flatten" },
      { kind: "dense", units: 10 },
    ]);
    const p = problemStarting(analyzeSpec(s), "conv2d #1");
    expect(p).toMatchObject({ severity: "warning", field: "kernel", fix: "use an odd kernel such as 5" });
    expect(applyAutofix(s, p).after.problems).toEqual([]);
  });

  it("a stride larger than the kernel or window skips pixels", () => {
    const s = spec([
      { kind: "conv2d", filters: 4, kernel: 2, stride: 3 },
      { kind: "maxPool2d", size: 2, stride: 3 },
      { kind: "flatten" },
      { kind: "dense", units: 10 },
    ]);
    const a = analyzeSpec(s);
    expect(a.ok).toBe(true);
    const conv = problemStarting(a, "conv2d #1: stride 3");
    const pool = problemStarting(a, "maxPool2d #2: stride 3");
    expect([conv.field, pool.field]).toEqual(["stride", "stride"]);
    const once = applyAutofix(s, conv);
    expect(applyAutofix(once.fixed, pool).after.problems).toEqual([]);
  });

  it("reports every problem of a broken model, not just the first", () => {
    const a = analyzeSpec(
      spec(
        [
          { kind: "conv2d", filters: 8, kernel: 9 },
          { kind: "dense", units: 64, activation: "relu" },
          { kind: "dropout", rate: 0.95 },
          { kind: "dense", units: 7, activation: "relu" },
        ],
        [8, 8],
      ),
    );
    expect(messages(a)).toEqual([
      "the input shape [8,8] has no channel dimension — use [1,8,8] (channels first)",
      "conv2d #1: kernel 9 is larger than its 8×8 input — use kernel 5, which fits (any kernel ≤ 8 does)",
      "dense #2 after a 3-D tensor needs a flatten — insert one",
      "dropout #3: rate 0.95 drops almost every activation, so the network can hardly learn — use a rate between 0.2 and 0.5",
      "dense #4 has 7 units but the dataset has 10 classes — set units to 10",
      "dense #4 applies relu to the logits; the loss applies softmax itself, so an activation here hurts learning — remove it",
    ]);
    // Fixing everything one autofix at a time ends in a clean model.
    let s: ModelSpecInput = analyzeSpec(spec([])).spec ?? spec([]);
    s = spec(
      [
        { kind: "conv2d", filters: 8, kernel: 9 },
        { kind: "dense", units: 64, activation: "relu" },
        { kind: "dropout", rate: 0.95 },
        { kind: "dense", units: 7, activation: "relu" },
      ],
      [8, 8],
    );
    for (let round = 0; round < 10; round++) {
      const fixable = analyzeSpec(s).problems.find((p) => p.autofix);
      if (!fixable) break;
      s = applyEdit(s, fixable.autofix!);
    }
    expect(analyzeSpec(s).problems).toEqual([]);
  });
});

describe("analyzeSpec: schema problems", () => {
  it("names the layer 1-based with its kind and the field", () => {
    const a = analyzeSpec(
      spec([
        { kind: "flatten" },
        { kind: "dense", units: 0 },
        { kind: "dropout", rate: 1 },
        { kind: "conv2d", filters: 4, kernel: 3, padding: "full" } as unknown as LayerInput,
        { kind: "dense", units: 10, activation: "softmax" } as unknown as LayerInput,
      ]),
    );
    expect(a.ok).toBe(false);
    expect(a.spec).toBeNull();
    expect(a.problems.map((p) => [p.layer, p.field, p.message])).toEqual([
      [1, "units", "dense #2: units is 0 but must be at least 1 — set units to at least 1"],
      [2, "rate", "dropout #3: rate is 1 but must be less than 1 — set rate to less than 1"],
      [3, "padding", "conv2d #4: padding 'full' is not allowed — use one of 'valid', 'same'"],
      [
        4,
        "activation",
        "dense #5: activation 'softmax' is not allowed — use one of 'relu', 'leakyRelu', 'elu', 'gelu', 'sigmoid', 'tanh'",
      ],
    ]);
    // The layer before the first broken one still has its shape.
    expect(a.layers.map((l) => l.outShape)).toEqual([[784]]);
  });

  it("unknown kinds, unknown fields and missing fields, with autofixes where obvious", () => {
    const s = spec([
      { kind: "conv2d", kernel: 3 } as unknown as LayerInput,
      { kind: "dense", units: 10, dropout: 0.5 } as unknown as LayerInput,
      { kind: "softmax" } as unknown as LayerInput,
    ]);
    const a = analyzeSpec(s);
    const missing = problemStarting(a, "conv2d #1: filters is missing");
    expect(missing).toMatchObject({
      layer: 0,
      field: "filters",
      autofix: { op: "setField", field: "filters", value: 32 },
    });
    const unknown = problemStarting(a, "dense #2: unknown field 'dropout'");
    expect(unknown.fix).toBe("remove 'dropout'");
    const kind = problemStarting(a, "layer #3: kind 'softmax' is not allowed");
    expect(kind.fix).toContain("'dense', 'conv2d'");
    let fixed = applyEdit(s, missing.autofix!);
    fixed = applyEdit(fixed, unknown.autofix!);
    expect(messages(analyzeSpec(fixed))).toEqual([
      "layer #3: kind 'softmax' is not allowed — use one of 'dense', 'conv2d', 'maxPool2d', 'avgPool2d', 'globalAvgPool', 'batchNorm', 'dropout', 'flatten', 'activation', 'add', 'concat'",
      "dense #2 after a 3-D tensor needs a flatten — insert one",
    ]);
  });

  it("model-level schema problems", () => {
    const a = analyzeSpec({ input: { shape: [1, 2, 3, 4] }, layers: [], classes: ["only"], extra: true });
    expect(a.problems.map((p) => [p.field, p.message])).toEqual([
      ["input.shape", "input.shape has 4 items but allows at most 3 — remove 1 from input.shape"],
      ["classes", "classes has 1 item but needs at least 2 — add 1 more to classes"],
      [null, "unknown field 'extra' — remove 'extra'"],
      ["layers", "the model has no layers — add dense(10), or start from a template"],
    ]);
    expect(analyzeSpec({}).problems.map((p) => p.message)).toEqual([
      'input is missing — set input to {"shape":[channels,height,width]}, e.g. {"shape":[1,28,28]} for MNIST',
      'layers is missing — set layers to a list, e.g. [{"kind":"flatten"},{"kind":"dense","units":10}]',
      "classes is missing — set classes to the dataset's class names",
    ]);
  });

  it("a layer that is not an object", () => {
    const s = { input: { shape: [4] }, layers: [7, { kind: "dense", units: 2 }], classes: ["a", "b"] };
    const a = analyzeSpec(s);
    const p = problemStarting(a, "layer #1: must be an object");
    expect(p.autofix).toEqual({ op: "removeLayer", at: 0 });
    expect(analyzeSpec(applyEdit(s as ModelSpecInput, p.autofix!)).ok).toBe(true);
  });
});

describe("analyzeSpec never throws", () => {
  it.each([
    null,
    undefined,
    0,
    42,
    Number.NaN,
    "spec",
    true,
    [],
    [1, 2],
    {},
    { layers: "x" },
    { input: null, layers: null, classes: null },
    { input: { shape: "28x28" }, layers: [null, [], "dense"], classes: [1, 2] },
    {
      input: { shape: [0, -1, 1e9] },
      layers: [{ kind: "dense", units: Number.POSITIVE_INFINITY }],
      classes: ["a", "b"],
    },
  ])("on %j", (garbage) => {
    const a = analyzeSpec(garbage);
    expect(a.ok).toBe(false);
    expect(a.problems.length).toBeGreaterThan(0);
    for (const p of a.problems) expect(p.message).toContain(" — ");
  });

  it("on an object whose getters throw", () => {
    const hostile = {
      input: { shape: [1, 28, 28] },
      classes: TEN,
      get layers(): never {
        throw new Error("boom");
      },
    };
    const a = analyzeSpec(hostile);
    expect(a.ok).toBe(false);
    expect(a.problems[0]?.message).toContain("boom");
  });

  it("on a fuzz loop of random layer lists, with consistent results", () => {
    const random = mulberry32(12345);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const numbers = [0, 1, 2, 3, 5, 7, 16, 64, -1, 0.5, 0.95, 1.5, 1e9, Number.NaN, "3", null, undefined];
    const kinds = [
      "dense",
      "conv2d",
      "maxPool2d",
      "avgPool2d",
      "globalAvgPool",
      "batchNorm",
      "dropout",
      "flatten",
      "activation",
      "bogus",
      3,
    ];
    const sane: Record<string, () => Record<string, unknown>> = {
      dense: () => ({ units: pick([1, 10, 64]), activation: pick([undefined, "relu"]) }),
      conv2d: () => ({ filters: pick([1, 8]), kernel: pick([1, 2, 3, 5]), padding: pick(["valid", "same"]) }),
      maxPool2d: () => ({ size: pick([2, 3]) }),
      avgPool2d: () => ({ size: 2, stride: pick([1, 2, 3]) }),
      dropout: () => ({ rate: pick([0.2, 0.95]) }),
      activation: () => ({ fn: pick(["relu", "tanh"]) }),
    };
    const randomLayer = () => {
      const kind = pick(kinds);
      if (typeof kind === "string" && random() < 0.7) return { kind, ...sane[kind]?.() };
      const layer: Record<string, unknown> = { kind };
      for (const field of ["units", "filters", "kernel", "stride", "size", "rate", "momentum"]) {
        if (random() < 0.35) layer[field] = pick(numbers);
      }
      if (random() < 0.3) layer.padding = pick(["valid", "same", "full"]);
      if (random() < 0.3) layer.activation = pick(["relu", "tanh", { fn: "leakyRelu", alpha: 0.2 }, "nope"]);
      if (random() < 0.3) layer.fn = pick(["relu", "gelu", "softmax"]);
      return random() < 0.1 ? pick([null, 7, "x", []]) : layer;
    };
    const shapes = [[1, 28, 28], [3, 32, 32], [3, 5, 5], [1, 1, 1], [784], [28, 28], [], [1, 2, 3, 4], [0, 3, 3]];
    let okCount = 0;
    for (let i = 0; i < 2000; i++) {
      const classes = pick([TEN, ["a", "b"], ["a"]]);
      const layers: unknown[] = Array.from({ length: Math.floor(random() * 7) }, randomLayer);
      if (random() < 0.5) layers.push({ kind: "flatten" }, { kind: "dense", units: classes.length });
      const input = { input: { shape: pick(shapes) }, layers, classes };
      const a = analyzeSpec(input);
      // Invariants that must hold whatever the input.
      expect(a.ok).toBe(a.spec !== null && !a.problems.some((p) => p.severity === "error"));
      expect(a.totals.params).toBe(a.layers.reduce((s, l) => s + l.params, 0));
      expect(a.layers.every((l, j) => j === 0 || l.index > a.layers[j - 1]!.index)).toBe(true);
      for (const p of a.problems) {
        expect(p.message.length).toBeGreaterThan(5);
        expect(p.fix.length).toBeGreaterThan(3);
        if (p.layer !== null) expect(p.layer).toBeLessThan(layers.length);
        if (p.autofix) expect(() => analyzeSpec(applyEdit(input as ModelSpecInput, p.autofix!))).not.toThrow();
      }
      if (a.ok) {
        okCount++;
        expect(a.outShape).toEqual([input.classes.length]);
      }
    }
    // The generator must reach valid models too, or the loop tests little.
    expect(okCount).toBeGreaterThan(20);
  });
});

/** A small seeded PRNG, so the fuzz loop is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
