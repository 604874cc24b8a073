import { describe, expect, it } from "vitest";
import {
  analyzeSpec,
  buildTemplate,
  type Layer,
  type LayerInput,
  LayerStack,
  type ModelSpecInput,
  TEMPLATES,
} from "../src";

const names = (n: number) => Array.from({ length: n }, (_, i) => `class${i}`);
const MNIST = { inputShape: [1, 28, 28], classes: names(10) };
const CIFAR = { inputShape: [3, 32, 32], classes: names(10) };

const convs = (layers: readonly Layer[], kernel: number) =>
  layers.filter((l) => l.kind === "conv2d" && l.kernel === kernel) as Extract<Layer, { kind: "conv2d" }>[];
const count = (layers: readonly Layer[], kind: Layer["kind"]) => layers.filter((l) => l.kind === kind).length;

describe("ResNet-20", () => {
  const spec = buildTemplate("resnet-20", CIFAR);
  const analysis = analyzeSpec(spec);
  const outShapeOf = (id: string) => analysis.layers[spec.layers.findIndex((l) => l.id === id)]!.outShape;

  it("has He et al.'s CIFAR-10 layout: 19 3×3 convolutions and one dense layer, 9 residual adds, ~0.27 M weights", () => {
    expect(spec.name).toBe("ResNet-20");
    expect(analysis.problems).toEqual([]);
    expect(convs(spec.layers, 3)).toHaveLength(19);
    expect(count(spec.layers, "dense")).toBe(1);
    expect(count(spec.layers, "add")).toBe(9);
    expect(count(spec.layers, "globalAvgPool")).toBe(1);
    // 269,722 for the paper's parameter-free shortcuts, plus the two 1×1 projections with batch norm:
    // 16·32 + 2·32 + 32·64 + 2·64 = 2,752.
    expect(analysis.totals.params).toBe(272_474);
    expect(analysis.totals.params - 2_752).toBe(269_722);
  });

  it("halves the image and doubles the channels at each stage: 16×32×32, 32×16×16, 64×8×8", () => {
    expect(outShapeOf("stem")).toEqual([16, 32, 32]);
    expect(outShapeOf("s1b3")).toEqual([16, 32, 32]);
    expect(outShapeOf("s2b3")).toEqual([32, 16, 16]);
    expect(outShapeOf("s3b3")).toEqual([64, 8, 8]);
    expect(analysis.layers.at(-2)?.outShape).toEqual([64]); // global average pooling
    expect(analysis.outShape).toEqual([10]);
  });

  it("projects only the two shortcuts that change the shape, with a strided 1×1 convolution and batch norm", () => {
    const projections = convs(spec.layers, 1);
    expect(projections.map((l) => [l.inputs, l.filters, l.stride, l.bias])).toEqual([
      [["s1b3"], 32, 2, false],
      [["s2b3"], 64, 2, false],
    ]);
    const adds = spec.layers.filter((l) => l.kind === "add").map((l) => l.inputs);
    expect(adds).toContainEqual(["s2b1_main", "s2b1_proj"]);
    expect(adds).toContainEqual(["s2b2_main", "s2b1"]); // identity shortcut inside a stage
    expect(spec.layers[spec.layers.findIndex((l) => l.id === "s2b1_proj")]!.kind).toBe("batchNorm");
  });

  it("grows by 6 layers per block per stage: 5 blocks make ResNet-32", () => {
    const resnet32 = buildTemplate("resnet-20", CIFAR, { blocks: 5 });
    expect(resnet32.name).toBe("ResNet-32");
    expect(convs(resnet32.layers, 3).length + count(resnet32.layers, "dense")).toBe(32);
    expect(analyzeSpec(resnet32).problems).toEqual([]);
  });

  it("suggests the paper's recipe: SGD 0.1 with momentum, weight decay 1e-4, divided by 10 twice", () => {
    expect(TEMPLATES["resnet-20"].suggestedConfig).toMatchObject({
      optimizer: { name: "sgd", momentum: 0.9 },
      learningRate: 0.1,
      weightDecay: 1e-4,
      batchSize: 128,
      schedule: { name: "step", gamma: 0.1, milestones: [82, 123] },
    });
  });
});

describe("MNIST ResNet", () => {
  it("is a stem and two residual blocks, the second halving the image through a projection, ~20 k weights", () => {
    const spec = buildTemplate("resnet-mnist", MNIST);
    const analysis = analyzeSpec(spec);
    expect(analysis.problems).toEqual([]);
    expect(count(spec.layers, "add")).toBe(2);
    expect(convs(spec.layers, 1).map((l) => [l.inputs, l.filters, l.stride])).toEqual([[["block1"], 32, 2]]);
    expect(analysis.layers[spec.layers.findIndex((l) => l.id === "block2")]!.outShape).toEqual([32, 14, 14]);
    // stem 144 + 32; block1 2·(2,304 + 32); block2 4,608 + 9,216 + 512 + 3·64; dense 32·10 + 10
    expect(analysis.totals.params).toBe(176 + 4_672 + 14_528 + 330);
  });

  it("falls back to a dense layer on a vector input, where no convolution fits", () => {
    const spec = buildTemplate("resnet-mnist", { inputShape: [784], classes: names(3) });
    expect(spec.layers.map((l) => l.kind)).toEqual(["dense"]);
  });
});

describe("a strided 1×1 convolution", () => {
  /** A 3×3 strided main path and a 1×1 strided projection of the input, added (through `between` layers). */
  const shortcutSpec = (between: LayerInput[]): ModelSpecInput => ({
    format: "layerlab.model/2",
    input: { shape: [4, 8, 8] },
    layers: [
      { kind: "conv2d", id: "main", filters: 8, kernel: 3, stride: 2, padding: "same" },
      { kind: "conv2d", id: "proj", inputs: ["input"], filters: 8, kernel: 1, stride: 2 },
      ...between,
      { kind: "add", inputs: ["main", between.at(-1)?.id ?? "proj"] },
      { kind: "flatten" },
      { kind: "dense", units: 2 },
    ],
    classes: ["x", "y"],
  });
  const strideWarnings = (spec: ModelSpecInput) =>
    analyzeSpec(spec)
      .problems.filter((p) => p.field === "stride")
      .map((p) => p.message);

  it("is not warned about on a residual shortcut, directly or through batch norm", () => {
    expect(strideWarnings(shortcutSpec([]))).toEqual([]);
    expect(strideWarnings(shortcutSpec([{ kind: "batchNorm", id: "proj_bn" }]))).toEqual([]);
  });

  it("is still warned about in a chain, where the skipped pixels are lost", () => {
    const chain: ModelSpecInput = {
      format: "layerlab.model/2",
      input: { shape: [4, 8, 8] },
      layers: [{ kind: "conv2d", filters: 8, kernel: 1, stride: 2 }, { kind: "flatten" }, { kind: "dense", units: 2 }],
      classes: ["x", "y"],
    };
    expect(strideWarnings(chain)).toEqual([
      "conv2d #1: stride 2 is larger than kernel 1, so some pixels are never seen — use stride ≤ 1",
    ]);
  });
});

describe("LayerStack with named outputs", () => {
  it("shapes a layer by the output it names, and refuses a name it never added", () => {
    const s = new LayerStack([1, 8, 8]);
    s.add({ kind: "conv2d", id: "wide", filters: 6, kernel: 3, padding: "same" });
    s.add({ kind: "maxPool2d", size: 2 });
    expect(s.shape).toEqual([6, 4, 4]);
    expect(s.add({ kind: "conv2d", inputs: ["wide"], filters: 2, kernel: 1 })).toBe(true);
    expect(s.shape).toEqual([2, 8, 8]);
    expect(s.shapeOf("input")).toEqual([1, 8, 8]);
    expect(() => s.add({ kind: "flatten", inputs: ["nowhere"] })).toThrow(/no layer 'nowhere'/);
  });
});
