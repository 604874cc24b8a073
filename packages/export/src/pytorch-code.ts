import {
  type Activation,
  GRAPH_INPUT,
  isChain,
  type Layer,
  normalizeActivation,
  poolStride,
  type Shape,
  samePadding,
} from "@layerlab/spec";
import { type ModelView, modelGraph } from "./model-view";

/*
 * model.py: readable PyTorch code for a spec. Module i of the nn.Sequential
 * is spec layer i, so the state_dict keys are the spec's (`0.weight`,
 * `3.running_mean`): a fused dense/conv activation lives inside that layer's
 * module (small subclasses of nn.Linear / nn.Conv2d), and TensorFlow-style
 * 'same' padding is an explicit, possibly asymmetric F.pad computed for the
 * model's fixed input size. A graph (layers with `inputs`, add, concat)
 * keeps the same modules and names; its forward() feeds each module the
 * outputs its spec layer names, so the keys stay `<i>.weight` either way.
 */

/** A Python string literal (JSON's escapes are all valid in Python). */
const pyString = (s: string): string => JSON.stringify(s);

/** A Python float literal. */
function pyFloat(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** A Python tuple literal of numbers. */
function pyTuple(values: readonly (number | string)[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(", ")})`;
}

const ACTIVATION_MODULES = {
  relu: () => "nn.ReLU()",
  leakyRelu: (alpha: number) => `nn.LeakyReLU(${pyFloat(alpha)})`,
  elu: (alpha: number) => `nn.ELU(${pyFloat(alpha)})`,
  gelu: () => "nn.GELU()", // the exact erf form, as the engine computes it
  sigmoid: () => "nn.Sigmoid()",
  tanh: () => "nn.Tanh()",
} as const;

function activationModule(a: Activation): string {
  const { fn, alpha } = normalizeActivation(a);
  return ACTIVATION_MODULES[fn](alpha ?? 0);
}

/** The Python expression that builds spec layer `layer` on input `inShape`. */
function moduleFor(layer: Layer, inShape: Shape): string {
  switch (layer.kind) {
    case "dense": {
      const args = [String(inShape[0]), String(layer.units)];
      if (!layer.bias) args.push("bias=False");
      if (layer.activation !== undefined) args.push(`activation=${activationModule(layer.activation)}`);
      return `Dense(${args.join(", ")})`;
    }
    case "conv2d": {
      const args = [String(inShape[0]), String(layer.filters), String(layer.kernel)];
      if (layer.stride !== 1) args.push(`stride=${layer.stride}`);
      if (layer.padding === "same") {
        const [top, bottom] = samePadding(inShape[1]!, layer.kernel, layer.stride);
        const [left, right] = samePadding(inShape[2]!, layer.kernel, layer.stride);
        if (top + bottom + left + right > 0) args.push(`pad=${pyTuple([left, right, top, bottom])}`);
      }
      if (!layer.bias) args.push("bias=False");
      if (layer.activation !== undefined) args.push(`activation=${activationModule(layer.activation)}`);
      return `Conv2d(${args.join(", ")})`;
    }
    case "maxPool2d":
    case "avgPool2d": {
      const name = layer.kind === "maxPool2d" ? "nn.MaxPool2d" : "nn.AvgPool2d";
      const stride = poolStride(layer);
      return stride === layer.size ? `${name}(${layer.size})` : `${name}(${layer.size}, stride=${stride})`;
    }
    case "globalAvgPool":
      return "GlobalAvgPool()";
    case "batchNorm": {
      const name = inShape.length === 3 ? "nn.BatchNorm2d" : "nn.BatchNorm1d";
      return `${name}(${inShape[0]}, eps=${pyFloat(layer.epsilon)}, momentum=${pyFloat(layer.momentum)})`;
    }
    case "dropout":
      return `nn.Dropout(${pyFloat(layer.rate)})`;
    case "flatten":
      return "nn.Flatten()";
    case "activation":
      return activationModule(layer.alpha === undefined ? layer.fn : { fn: layer.fn, alpha: layer.alpha });
    case "add":
      return "Add()";
    case "concat":
      return "Concat()";
  }
}

const HELPERS = {
  Dense: `class Dense(nn.Linear):
    """nn.Linear followed by the layer's fused activation (identity when it has none)."""

    def __init__(self, in_features, out_features, bias=True, activation=None):
        super().__init__(in_features, out_features, bias=bias)
        self.activation = activation or nn.Identity()

    def forward(self, x):
        # F.linear rather than super().forward(x): TorchScript cannot compile super().
        return self.activation(F.linear(x, self.weight, self.bias))
`,
  Conv2d: `class Conv2d(nn.Conv2d):
    """nn.Conv2d with explicit padding and the layer's fused activation.

    \`pad\` is (left, right, top, bottom) as F.pad takes it: LayerLab's 'same'
    is TensorFlow's, so with a stride or an even kernel the extra row and
    column go to the bottom and right, which nn.Conv2d's own padding cannot say.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad=(0, 0, 0, 0), bias=True, activation=None):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, bias=bias)
        self.pad = list(pad)
        self.padded = any(p > 0 for p in pad)
        self.activation = activation or nn.Identity()

    def forward(self, x):
        if self.padded:
            x = F.pad(x, self.pad)
        # _conv_forward rather than super().forward(x): TorchScript cannot compile super().
        return self.activation(self._conv_forward(x, self.weight, self.bias))
`,
  GlobalAvgPool: `class GlobalAvgPool(nn.Module):
    """Mean over the spatial axes: [N, C, H, W] -> [N, C]."""

    def forward(self, x):
        return x.mean(dim=(2, 3))
`,
  Add: `class Add(nn.Module):
    """Sums its inputs element by element (a residual connection); they have one shape."""

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out
`,
  Concat: `class Concat(nn.Module):
    """Joins its inputs along dim 1: the channels of [N, C, H, W] images, the features of [N, F] vectors."""

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, dim=1)
`,
} as const;

function preprocessCode(view: ModelView): string {
  const inShape = view.spec.input.shape;
  const norm = view.normalization;
  if (!norm) {
    return `# No normalization was recorded with this model: its input is used as given.
MEAN = None
STD = None


def preprocess(images):
    """The model's input as a float tensor [N, *INPUT_SHAPE] (no normalization was recorded)."""
    return torch.as_tensor(images).float()
`;
  }
  const view3 = pyTuple([-1, ...inShape.slice(1).map(() => 1)]);
  return `# Per-channel mean and std of the training pixels scaled to [0, 1].
MEAN = ${pyTuple(norm.mean.map(pyFloat))}
STD = ${pyTuple(norm.std.map(pyFloat))}


def preprocess(images):
    """Pixels [N, *INPUT_SHAPE] -> the normalised float input the model was trained on.

    Takes integer pixels (uint8) in 0..255, or floating-point pixels already
    scaled to [0, 1]: the dtype decides which. Values outside that range raise
    ValueError rather than being scaled twice or not at all.
    """
    x = torch.as_tensor(images)
    if x.dtype == torch.bool or x.is_complex():
        raise ValueError(f"preprocess: pixels must be uint8 in 0..255 or floats in [0, 1], got dtype {x.dtype}")
    if x.is_floating_point():
        if x.numel() > 0 and (x.min() < 0 or x.max() > 1):
            raise ValueError(
                f"preprocess: float pixels must be scaled to [0, 1], got values in [{float(x.min()):g}, {float(x.max()):g}];"
                " pass uint8 pixels in 0..255, or divide by 255 first"
            )
        x = x.float()
    else:
        if x.numel() > 0 and (x.min() < 0 or x.max() > 255):
            raise ValueError(f"preprocess: integer pixels must be in 0..255, got values in [{int(x.min())}, {int(x.max())}]")
        x = x.float() / 255
    mean = torch.tensor(MEAN).view${view3}
    std = torch.tensor(STD).view${view3}
    return (x - mean) / std
`;
}

/** The text of model.py for a model. */
export function pytorchModelCode(view: ModelView): string {
  const { spec, shapes } = view;
  const { sources, outShapes } = modelGraph(spec);
  const chain = isChain(spec.layers);
  const modules = spec.layers.map((layer, i) => moduleFor(layer, shapes[i]!));
  const helpers = (Object.keys(HELPERS) as (keyof typeof HELPERS)[]).filter((name) =>
    modules.some((m) => m.startsWith(`${name}(`)),
  );
  const lines = modules.map((m, i) => {
    const layer = spec.layers[i]!;
    const label = layer.id === undefined ? `${i}` : `${i} (${layer.id})`;
    return `            ${m},  # ${label}: ${layer.kind} -> [${outShapes[i]!.join(", ")}]`;
  });
  const merges = helpers.includes("Add") || helpers.includes("Concat");
  const name = (spec.name ?? "LayerLab model").replace(/\s+/g, " ");
  return `"""${pyString(name).slice(1, -1).replace(/"""/g, "")}: a LayerLab model exported to PyTorch.

Generated by LayerLab from its model spec; the weights are in model.pt.

    import torch
    from model import CLASSES, load, preprocess

    model = load()  # model.pt beside this file, in eval mode: batch norm uses its running statistics, dropout is off
    with torch.no_grad():
        probabilities = model(preprocess(images)).softmax(-1)  # images: uint8 0..255 or float 0..1; logits out
    print(CLASSES[int(probabilities[0].argmax())])
"""

from pathlib import Path
${merges ? "from typing import List\n" : ""}
import torch
import torch.nn.functional as F
from torch import nn

NAME = ${pyString(spec.name ?? "")}
CLASSES = [${spec.classes.map(pyString).join(", ")}]
# One input without the batch dimension, channels first.
INPUT_SHAPE = ${pyTuple(spec.input.shape)}

${preprocessCode(view)}

${helpers.map((h) => HELPERS[h]).join("\n\n")}

class LayerLabModel(nn.Sequential):
    """${chain ? "The spec's layers in order" : "The spec's layers, wired as a graph"}: module i holds the weights of spec layer i ("i.weight", ...).
${chain ? "" : "\n    forward() gives each module the outputs its spec layer takes; the last layer's output is the logits.\n"}
    Returns logits [N, ${spec.classes.length}]; apply softmax(-1) for probabilities.
    """

    def __init__(self):
        super().__init__(
${lines.join("\n")}
        )
${chain ? "" : graphForward(spec.layers, sources)}

def load(path=None):
    """A LayerLabModel with the weights at \`path\` (default: the model.pt beside this file), in eval mode."""
    if path is None:
        path = Path(__file__).resolve().parent / "model.pt"
    model = LayerLabModel()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()
`;
}

/** Python names that a layer id must not take in forward(): keywords, forward's own names, common builtins. */
const RESERVED_NAMES = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except finally for from " +
    "global if import in is lambda nonlocal not or pass raise return try while with yield match case " +
    "self x torch nn F List Tensor super print range len list int float bool str tuple dict sum max min abs type object"
  ).split(" "),
);

/** The Python variable that holds each layer's output in forward(): its id when that makes a fresh name, else `h<i>`. */
function outputNames(layers: readonly Layer[]): string[] {
  const taken = new Set<string>();
  return layers.map((layer, i) => {
    const fromId = layer.id?.replace(/-/g, "_");
    const name =
      fromId !== undefined && !RESERVED_NAMES.has(fromId) && !/^h\d+$/.test(fromId) && !taken.has(fromId)
        ? fromId
        : `h${i}`;
    taken.add(name);
    return name;
  });
}

/** forward() of a graph: one line per layer, `name = self[i](input)`; a merge takes the list of its inputs. */
function graphForward(layers: readonly Layer[], sources: readonly number[][]): string {
  const names = outputNames(layers);
  const nameOf = (s: number) => (s === GRAPH_INPUT ? "x" : names[s]!);
  const steps = layers.map((layer, i) => {
    const ins = sources[i]!.map(nameOf);
    const arg = layer.kind === "add" || layer.kind === "concat" ? `[${ins.join(", ")}]` : ins[0]!;
    return `        ${names[i]} = self[${i}](${arg})`;
  });
  return `
    def forward(self, x):
${steps.join("\n")}
        return ${names[names.length - 1] ?? "x"}
`;
}
