import { describe, expect, it } from "vitest";
import { analyzeSpec } from "../src/analyze";
import type { Layer } from "../src/model";
import { buildTemplate, TEMPLATE_IDS, TEMPLATES, tryBuildTemplate } from "../src/templates";
import { validateConfig } from "../src/validateConfig";

const names = (n: number) => Array.from({ length: n }, (_, i) => `class${i}`);
const MNIST = { inputShape: [1, 28, 28], classes: names(10) };
const CIFAR = { inputShape: [3, 32, 32], classes: names(10) };
const SMALL_RGB = { inputShape: [3, 64, 64], classes: names(3) };

/** A compact picture of a layer list: `conv32/3v:relu pool2 flat d128:relu d10`. */
function sketch(layers: readonly Layer[]): string {
  return layers
    .map((l) => {
      const act =
        "activation" in l && l.activation
          ? `:${typeof l.activation === "string" ? l.activation : l.activation.fn}`
          : "";
      switch (l.kind) {
        case "conv2d":
          return `conv${l.filters}/${l.kernel}${l.padding[0]}${l.bias ? "" : "-nb"}${act}`;
        case "maxPool2d":
          return `max${l.size}`;
        case "avgPool2d":
          return `avg${l.size}`;
        case "dense":
          return `d${l.units}${act}`;
        case "dropout":
          return `drop${l.rate}`;
        case "activation":
          return l.fn;
        case "batchNorm":
          return "bn";
        case "flatten":
          return "flat";
        default:
          return l.kind;
      }
    })
    .join(" ");
}

describe("templates", () => {
  it.each(TEMPLATE_IDS.flatMap((id) => [MNIST, CIFAR, SMALL_RGB].map((data) => [id, data] as const)))(
    "%s on %j is free of problems and ends in one logit per class",
    (id, data) => {
      const spec = buildTemplate(id, data);
      const a = analyzeSpec(spec);
      expect(a.problems).toEqual([]);
      expect(a.ok).toBe(true);
      expect(a.outShape).toEqual([data.classes.length]);
      expect(spec.input.shape).toEqual(data.inputShape);
      expect(spec.classes).toEqual(data.classes);
    },
  );

  it.each(
    TEMPLATE_IDS.flatMap((id) =>
      [[1, 8, 8], [1, 3, 3], [2, 1, 1], [784], [28, 28]].map((inputShape) => [id, inputShape] as const),
    ),
  )("%s adapts to the input %j (no errors)", (id, inputShape) => {
    const a = analyzeSpec(buildTemplate(id, { inputShape, classes: names(2) }));
    expect(a.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(a.outShape).toEqual([2]);
  });

  it("mlp is exactly the benchmark MLP 784-128-64-10", () => {
    const spec = buildTemplate("mlp", MNIST);
    expect(sketch(spec.layers)).toBe("flat d128:relu d64:relu d10");
    expect(analyzeSpec(spec).totals.params).toBe(109_386);
  });

  it("cnn is exactly the benchmark CNN", () => {
    const spec = buildTemplate("cnn", MNIST);
    expect(sketch(spec.layers)).toBe("conv32/3v:relu max2 conv64/3v:relu max2 flat d128:relu d10");
    expect(analyzeSpec(spec).totals.params).toBe(225_034);
  });

  it("deep-cnn has conv blocks with batch norm and dropout", () => {
    expect(sketch(buildTemplate("deep-cnn", CIFAR).layers)).toBe(
      "conv32/3s-nb bn relu max2 drop0.25 conv64/3s-nb bn relu max2 drop0.25 conv128/3s-nb bn relu max2 drop0.25 flat d256:relu drop0.5 d10",
    );
    expect(sketch(buildTemplate("deep-cnn", MNIST, { channels: [16, 32], dropout: 0 }).layers)).toBe(
      "conv16/3s-nb bn relu max2 conv32/3s-nb bn relu max2 flat d256:relu drop0.5 d10",
    );
  });

  it("simple-nn takes hidden sizes and dropout p = 0.3", () => {
    expect(sketch(buildTemplate("simple-nn", MNIST).layers)).toBe("flat d128:relu d10");
    expect(sketch(buildTemplate("simple-nn", MNIST, { hidden: [256, 64], dropout: true }).layers)).toBe(
      "flat d256:relu drop0.3 d64:relu drop0.3 d10",
    );
    expect(sketch(buildTemplate("simple-nn", MNIST, { hidden: [] }).layers)).toBe("flat d10");
  });

  it("conv-nn is two conv blocks and the chosen linear head", () => {
    expect(sketch(buildTemplate("conv-nn", MNIST, { hidden: [64], dropout: true }).layers)).toBe(
      "conv32/3s:relu max2 conv64/3s:relu max2 flat d64:relu drop0.3 d10",
    );
  });

  it("cnn-4 has four conv layers with the given channels", () => {
    expect(sketch(buildTemplate("cnn-4", MNIST, { channels: [4, 8, 12, 16] }).layers)).toBe(
      "conv4/3s:relu conv8/3s:relu max2 conv12/3s:relu conv16/3s:relu max2 flat d10",
    );
  });

  it("lenet-5 is the classic, about 61.7k weights on MNIST, with tanh or relu", () => {
    const spec = buildTemplate("lenet-5", MNIST);
    expect(sketch(spec.layers)).toBe("conv6/5s:tanh avg2 conv16/5v:tanh avg2 flat d120:tanh d84:tanh d10");
    // 156 + 2,416 + (400·120+120) + (120·84+84) + (84·10+10)
    expect(analyzeSpec(spec).totals.params).toBe(156 + 2_416 + 48_120 + 10_164 + 850);
    // On 32×32 the first convolution is unpadded, as in 1998.
    expect(sketch(buildTemplate("lenet-5", CIFAR, { activation: "relu" }).layers)).toBe(
      "conv6/5v:relu avg2 conv16/5v:relu avg2 flat d120:relu d84:relu d10",
    );
  });

  it("cifar-small is the small CIFAR-10 net", () => {
    const spec = buildTemplate("cifar-small", CIFAR);
    expect(sketch(spec.layers)).toBe(
      "conv32/3s:relu conv32/3v:relu max2 drop0.25 conv64/3s:relu conv64/3v:relu max2 drop0.25 flat d512:relu drop0.5 d10",
    );
    expect(analyzeSpec(spec).layers.at(-4)?.outShape).toEqual([2304]);
  });

  it("every template documents itself, defaults every option and suggests a valid config", () => {
    for (const id of TEMPLATE_IDS) {
      const t = TEMPLATES[id];
      expect(t.id).toBe(id);
      expect(t.description).toMatch(/^[A-Z].*\.$/);
      expect(t.source.length).toBeGreaterThan(5);
      expect(t.options.safeParse({}).success).toBe(true);
      if (t.suggestedConfig) expect(validateConfig(t.suggestedConfig).problems).toEqual([]);
    }
  });

  it("bad ids, data and options give problems (tryBuildTemplate) or a clear Error (buildTemplate)", () => {
    expect(tryBuildTemplate("resnet", MNIST).problems[0]?.message).toBe(
      "there is no template 'resnet' — use one of mlp, cnn, deep-cnn, simple-nn, conv-nn, cnn-4, lenet-5, cifar-small, resnet-mnist, resnet-20",
    );
    const bad = tryBuildTemplate("cnn-4", { inputShape: [1, 28, 28], classes: ["one"] }, { channels: [8, 16] });
    expect(bad.spec).toBeNull();
    expect(bad.problems.map((p) => p.field)).toEqual(["data.classes", "options.channels"]);
    expect(() => buildTemplate("simple-nn", MNIST, { hidden: [0] })).toThrow(
      "simple-nn: options.hidden[0] is 0 but must be at least 1 — set options.hidden[0] to at least 1",
    );
  });
});
