import { describe, expect, it } from "vitest";
import { analyzeSpec } from "../src/analyze";
import { inferOutShape, LAYER_RULES, layerLabel, ruleOf, samePadding } from "../src/index";
import { Layer, type LayerInput, type Shape } from "../src/model";

/** Shape, parameters and FLOPs of one layer on one input, by the registry. */
function measure(input: LayerInput, inShape: Shape) {
  const layer = Layer.parse(input);
  const rule = ruleOf(layer);
  const outShape = rule.outShape(layer, inShape);
  return {
    outShape,
    params: rule.paramCount(layer, inShape),
    flops: outShape ? rule.flops(layer, inShape, outShape) : null,
  };
}

const TEN = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

describe("layer rules: shapes, parameters and FLOPs against hand computations", () => {
  it("dense: in·units weights + units biases, 2·in·units FLOPs, +1 per output for a fused activation", () => {
    expect(measure({ kind: "dense", units: 128 }, [1600])).toEqual({
      outShape: [128],
      params: 204_928,
      flops: 409_600,
    });
    expect(measure({ kind: "dense", units: 128, activation: "relu" }, [1600]).flops).toBe(409_600 + 128);
    expect(measure({ kind: "dense", units: 10, bias: false }, [64]).params).toBe(640);
    expect(measure({ kind: "dense", units: 10 }, [64, 5, 5]).outShape).toBeNull();
  });

  it("conv2d 'valid': floor((in-k)/s)+1; Cin·k²·F + F params; 2·Cin·k²·(F·Ho·Wo) FLOPs", () => {
    // 1·3·3·32 + 32 = 320; 2·9·(32·26·26 = 21,632) = 389,376, plus 21,632 for the relu.
    expect(measure({ kind: "conv2d", filters: 32, kernel: 3, activation: "relu" }, [1, 28, 28])).toEqual({
      outShape: [32, 26, 26],
      params: 320,
      flops: 389_376 + 21_632,
    });
    // floor((28-3)/2)+1 = 13
    expect(measure({ kind: "conv2d", filters: 8, kernel: 3, stride: 2 }, [3, 28, 28]).outShape).toEqual([8, 13, 13]);
    // 3·5·5·6 = 450, no bias
    expect(measure({ kind: "conv2d", filters: 6, kernel: 5, bias: false }, [3, 32, 32]).params).toBe(450);
    expect(measure({ kind: "conv2d", filters: 4, kernel: 5 }, [1, 3, 3]).outShape).toBeNull();
    expect(measure({ kind: "conv2d", filters: 4, kernel: 3 }, [100]).outShape).toBeNull();
  });

  it("conv2d 'same': ceil(in/stride), even with a kernel larger than the input", () => {
    expect(
      inferOutShape(Layer.parse({ kind: "conv2d", filters: 16, kernel: 3, padding: "same" }), [3, 32, 32]),
    ).toEqual([16, 32, 32]);
    expect(
      inferOutShape(Layer.parse({ kind: "conv2d", filters: 16, kernel: 3, stride: 2, padding: "same" }), [3, 7, 8]),
    ).toEqual([16, 4, 4]);
    expect(inferOutShape(Layer.parse({ kind: "conv2d", filters: 2, kernel: 5, padding: "same" }), [1, 3, 3])).toEqual([
      2, 3, 3,
    ]);
  });

  it("samePadding follows TensorFlow: the odd pixel goes after (bottom/right)", () => {
    expect(samePadding(28, 3, 1)).toEqual([1, 1]);
    expect(samePadding(28, 4, 1)).toEqual([1, 2]);
    expect(samePadding(32, 3, 2)).toEqual([0, 1]); // out 16: (16-1)·2+3-32 = 1
    expect(samePadding(5, 3, 2)).toEqual([1, 1]); // out 3: 2·2+3-5 = 2
    expect(samePadding(6, 1, 2)).toEqual([0, 0]);
  });

  it("pools: floor((in-size)/stride)+1, stride defaulting to size; size² FLOPs per output", () => {
    expect(measure({ kind: "maxPool2d" }, [32, 26, 26])).toEqual({
      outShape: [32, 13, 13],
      params: 0,
      flops: 32 * 13 * 13 * 4,
    });
    expect(measure({ kind: "avgPool2d", size: 2 }, [6, 7, 7]).outShape).toEqual([6, 3, 3]);
    expect(measure({ kind: "maxPool2d", size: 3, stride: 2 }, [8, 7, 7]).outShape).toEqual([8, 3, 3]);
    expect(measure({ kind: "maxPool2d", size: 4 }, [8, 3, 3]).outShape).toBeNull();
    expect(measure({ kind: "avgPool2d" }, [10]).outShape).toBeNull();
  });

  it("globalAvgPool: [C,H,W] → [C], one FLOP per input element", () => {
    expect(measure({ kind: "globalAvgPool" }, [64, 5, 5])).toEqual({ outShape: [64], params: 0, flops: 1600 });
    expect(measure({ kind: "globalAvgPool" }, [64]).outShape).toBeNull();
  });

  it("batchNorm: 2·C parameters (running statistics are not), on [F] or [C,H,W]", () => {
    expect(measure({ kind: "batchNorm" }, [16, 8, 8])).toEqual({ outShape: [16, 8, 8], params: 32, flops: 2048 });
    expect(measure({ kind: "batchNorm" }, [100])).toEqual({ outShape: [100], params: 200, flops: 200 });
    expect(measure({ kind: "batchNorm" }, [4, 4]).outShape).toBeNull();
  });

  it("flatten, dropout and activation", () => {
    expect(measure({ kind: "flatten" }, [64, 5, 5])).toEqual({ outShape: [1600], params: 0, flops: 0 });
    expect(measure({ kind: "dropout", rate: 0.3 }, [8, 4, 4])).toEqual({ outShape: [8, 4, 4], params: 0, flops: 0 });
    expect(measure({ kind: "activation", fn: "tanh" }, [8, 4, 4])).toEqual({
      outShape: [8, 4, 4],
      params: 0,
      flops: 128,
    });
  });

  it("has one rule per layer kind, keyed by its kind", () => {
    for (const [kind, rule] of Object.entries(LAYER_RULES)) {
      expect(rule.kind).toBe(kind);
      expect(rule.summary.length).toBeGreaterThan(10);
    }
    expect(layerLabel("conv2d", 2)).toBe("conv2d #3");
  });
});

describe("whole-model counts", () => {
  it("benchmark CNN on [1,28,28]: 225,034 parameters, layer by layer", () => {
    // conv 1·9·32+32 = 320; conv 32·9·64+64 = 18,496; dense 1600·128+128 = 204,928; dense 128·10+10 = 1,290.
    const a = analyzeSpec({
      input: { shape: [1, 28, 28] },
      layers: [
        { kind: "conv2d", filters: 32, kernel: 3, activation: "relu" },
        { kind: "maxPool2d", size: 2 },
        { kind: "conv2d", filters: 64, kernel: 3, activation: "relu" },
        { kind: "maxPool2d", size: 2 },
        { kind: "flatten" },
        { kind: "dense", units: 128, activation: "relu" },
        { kind: "dense", units: 10 },
      ],
      classes: TEN,
    });
    expect(a.problems).toEqual([]);
    expect(a.layers.map((l) => l.params)).toEqual([320, 0, 18_496, 0, 0, 204_928, 1_290]);
    expect(a.totals.params).toBe(225_034);
    expect(a.layers.map((l) => l.outShape)).toEqual([
      [32, 26, 26],
      [32, 13, 13],
      [64, 11, 11],
      [64, 5, 5],
      [1600],
      [128],
      [10],
    ]);
    // Output elements × 4 bytes: 21,632 / 5,408 / 7,744 / 1,600 / 1,600 / 128 / 10 elements.
    expect(a.layers.map((l) => l.activationBytes)).toEqual([86_528, 21_632, 30_976, 6_400, 6_400, 512, 40]);
    expect(a.totals.activationBytes).toBe(4 * (21_632 + 5_408 + 7_744 + 1_600 + 1_600 + 128 + 10));
    // 2·MACs: 2·9·21,632 + 2·288·7,744 + 2·1600·128 + 2·128·10, relus 21,632 + 7,744 + 128, pools 4·5,408 + 4·1,600.
    const macs = 9 * 21_632 + 288 * 7_744 + 1600 * 128 + 128 * 10;
    expect(a.totals.flops).toBe(2 * macs + (21_632 + 7_744 + 128) + 4 * (5_408 + 1_600));
  });

  it("benchmark MLP 784-128-64-10: 109,386 parameters", () => {
    // 784·128+128 = 100,480; 128·64+64 = 8,256; 64·10+10 = 650.
    const a = analyzeSpec({
      input: { shape: [1, 28, 28] },
      layers: [
        { kind: "flatten" },
        { kind: "dense", units: 128, activation: "relu" },
        { kind: "dense", units: 64, activation: "relu" },
        { kind: "dense", units: 10 },
      ],
      classes: TEN,
    });
    expect(a.ok).toBe(true);
    expect(a.layers.map((l) => l.params)).toEqual([0, 100_480, 8_256, 650]);
    expect(a.totals.params).toBe(109_386);
    expect(a.outShape).toEqual([10]);
  });
});
