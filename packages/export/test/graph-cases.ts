// Graph models for the export tests: a residual block with an identity shortcut, one whose shortcut is a
// strided 1×1 projection (the channels and the size change), an Inception-style concat of two branches of
// different widths, and vectors joined by add and concat, one output read by four layers.
import { buildModel } from "@layerlab/engine";
import type { LayerInput } from "@layerlab/spec";
import type { ExportCase } from "./support";

const classes = (n: number) => Array.from({ length: n }, (_, i) => `class ${i}`);

function graph(name: string, shape: number[], layers: LayerInput[], classCount = 4): ExportCase {
  return {
    name,
    spec: buildModel({ name, input: { shape }, layers, classes: classes(classCount) }).spec,
  };
}

/** Every way a graph joins outputs, on small inputs (they run in the engine, PyTorch and onnxruntime). */
export const GRAPH_CASES: ExportCase[] = [
  graph(
    "graph-residual-identity",
    [3, 8, 8],
    [
      { kind: "conv2d", id: "stem", filters: 6, kernel: 3, padding: "same", bias: false },
      { kind: "batchNorm" },
      { kind: "activation", fn: "relu", id: "s1" },
      { kind: "conv2d", filters: 6, kernel: 3, padding: "same", bias: false },
      { kind: "batchNorm" },
      { kind: "activation", fn: "relu" },
      { kind: "conv2d", filters: 6, kernel: 3, padding: "same", bias: false },
      { kind: "batchNorm", id: "b1" },
      { kind: "add", inputs: ["b1", "s1"] },
      { kind: "activation", fn: "relu" },
      { kind: "globalAvgPool" },
      { kind: "dense", units: 4 },
    ],
  ),
  graph(
    "graph-residual-projection",
    [3, 8, 8],
    [
      { kind: "conv2d", id: "stem", filters: 4, kernel: 3, padding: "same", activation: "relu" },
      // Main path: 3×3 stride 2 with TensorFlow's uneven 'same' padding on an even size (0 top, 1 bottom).
      { kind: "conv2d", filters: 8, kernel: 3, stride: 2, padding: "same", bias: false },
      { kind: "batchNorm" },
      { kind: "activation", fn: "relu" },
      { kind: "conv2d", filters: 8, kernel: 3, padding: "same", bias: false },
      { kind: "batchNorm", id: "main" },
      // Shortcut: 4 → 8 channels, 8×8 → 4×4.
      { kind: "conv2d", id: "stem_proj", inputs: ["stem"], filters: 8, kernel: 1, stride: 2, bias: false },
      { kind: "batchNorm", id: "proj_bn" },
      { kind: "add", inputs: ["main", "proj_bn"] },
      { kind: "activation", fn: "relu" },
      { kind: "flatten" },
      { kind: "dense", units: 4 },
    ],
  ),
  graph(
    "graph-inception-concat",
    [2, 7, 7],
    [
      { kind: "conv2d", id: "stem", filters: 5, kernel: 3, padding: "same", activation: "relu" },
      { kind: "conv2d", id: "narrow", inputs: ["stem"], filters: 3, kernel: 1, activation: "relu" },
      { kind: "conv2d", inputs: ["stem"], filters: 4, kernel: 1, activation: "relu" },
      {
        kind: "conv2d",
        id: "wide",
        filters: 6,
        kernel: 3,
        padding: "same",
        activation: { fn: "leakyRelu", alpha: 0.1 },
      },
      // The model's input joins too: 3 + 6 + 2 channels.
      { kind: "concat", inputs: ["narrow", "wide", "input"] },
      { kind: "batchNorm" },
      { kind: "maxPool2d", size: 2 },
      { kind: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "gelu" },
      { kind: "globalAvgPool" },
      { kind: "dense", units: 3 },
    ],
    3,
  ),
  graph(
    "graph-vectors",
    [2, 4, 4],
    [
      { kind: "flatten", id: "flat" },
      { kind: "dense", id: "hidden", units: 10, activation: "tanh" },
      // `hidden` is read by four layers: two dense branches, the add and the concat.
      { kind: "dense", id: "left", inputs: ["hidden"], units: 10, activation: "relu" },
      { kind: "dense", id: "right", inputs: ["hidden"], units: 10, bias: false },
      { kind: "add", id: "sum", inputs: ["hidden", "left", "right"] },
      { kind: "batchNorm" },
      { kind: "dense", id: "small", units: 3, activation: "sigmoid" },
      { kind: "concat", inputs: ["sum", "small", "hidden", "flat"] },
      { kind: "dropout", rate: 0.2 },
      { kind: "dense", units: 5 },
    ],
    5,
  ),
];
