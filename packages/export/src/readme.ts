import { isChain, samePadding } from "@layerlab/spec";
import type { ModelView } from "./model-view";

/** The formats `exportModel` writes. */
export type ExportFormat = "pytorch" | "onnx" | "safetensors";

/** The checkpoint an export was made from, as its README and manifest name it. */
export interface ExportSource {
  /** The run folder's weights file, e.g. `weights.best.safetensors`. */
  file: string;
  /** The epoch after which it was saved; null when the weights do not record it. */
  epoch: number | null;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
}

const SECTIONS: Record<ExportFormat, (view: ModelView) => string> = {
  pytorch: () => `## PyTorch: model.py + model.pt

\`\`\`python
import torch
from model import CLASSES, load, preprocess

model = load()  # model.pt beside model.py, read with torch.load(..., weights_only=True), in eval mode
with torch.no_grad():
    probabilities = model(preprocess(images)).softmax(-1)  # images [N, C, H, W]: uint8 0..255 or float 0..1
print(CLASSES[int(probabilities[0].argmax())])
\`\`\`

\`preprocess\` reads the pixel scale from the dtype: integers are 0..255, floats must already be in [0, 1]
(it raises ValueError on floats above 1 rather than dividing by 255 twice). \`torch.jit.script(model)\` and
\`torch.jit.trace\` both work.
`,
  onnx: (view) => `## ONNX: model.onnx

Input \`input\` [batch, ${view.spec.input.shape.join(", ")}], float32, normalised; output \`probabilities\`
[batch, ${view.spec.classes.length}] (softmax included). Opset 17.

${onnxInputLine(view)}

\`\`\`js
import * as ort from "onnxruntime-node"; // or "onnxruntime-web"
const session = await ort.InferenceSession.create("model.onnx");
const input = new ort.Tensor("float32", pixels, [1, ${view.spec.input.shape.join(", ")}]);
const { probabilities } = await session.run({ input });
\`\`\`
`,
  safetensors: () => `## LayerLab: spec.json + weights.safetensors

LayerLab's own format: open it in LayerLab (import a model) to keep training or testing it.
The tensors are named and laid out as in PyTorch's state_dict of model.py.
`,
};

/** How to make the ONNX model's input from pixels: the mean/std and where the file records them. */
function onnxInputLine(view: ModelView): string {
  const norm = view.normalization;
  if (!norm) return "No normalization was recorded with this model: feed the input as it was given in training.";
  const list = (xs: number[]) => `[${xs.join(", ")}]`;
  return `Make the input from pixels scaled to [0, 1] (uint8 / 255), per channel: \`(x - mean) / std\` with
mean ${list(norm.mean)} and std ${list(norm.std)}. The same values are in the model's metadata
(\`metadata_props\`, key \`normalization\`, as JSON), next to \`classes\` and \`spec\`.`;
}

/**
 * How LayerLab turns an image into the model's pixels (data-core's
 * `imageToInput`, used by the Draw page and the predict endpoint), so that an
 * image predicted elsewhere gets the same input.
 */
function imageInputSection(view: ModelView): string {
  const [channels, height, width] = view.spec.input.shape;
  if (height === undefined || width === undefined || (channels !== 1 && channels !== 3)) return "";
  const digit = channels === 1 && height === 28 && width === 28;
  const colour =
    channels === 1
      ? "converted to grey as `0.299·R + 0.587·G + 0.114·B`"
      : "kept as R, G, B planes (a grey image repeated in each)";
  return `## From an image to the input

LayerLab's Draw page and predict endpoint make the ${channels} × ${height} × ${width} pixels (0..255) from an image so:
transparency flattened onto white, ${colour}, then scaled with area averaging (each output pixel the mean
of the area it covers) so that it fits ${width} × ${height} with its aspect kept, centred on black; in PIL,
\`ImageOps.pad(image, (${width}, ${height}), method=Image.BOX, color=0)\` comes within a pixel's rounding of it.${
    digit
      ? `
A model trained on MNIST gets digits framed as MNIST's were instead: a drawing whose border is mostly light is
inverted (light ink on black), cropped to the pixels above 32, scaled with area averaging so its longer side is 20,
and pasted into 28 × 28 black with its centre of mass at the centre.`
      : ""
  }
`;
}

/** A note on the convolutions whose TensorFlow-style 'same' padding is uneven, which a hand-built nn.Conv2d gets wrong; "" when none is. */
function paddingNote(view: ModelView): string {
  const uneven = view.spec.layers.flatMap((layer, i) => {
    if (layer.kind !== "conv2d" || layer.padding !== "same") return [];
    const inShape = view.shapes[i]!;
    const [top, bottom] = samePadding(inShape[1]!, layer.kernel, layer.stride);
    const [left, right] = samePadding(inShape[2]!, layer.kernel, layer.stride);
    if (top === bottom && left === right) return [];
    const where = `layer ${i} (conv2d ${layer.kernel}×${layer.kernel}, stride ${layer.stride}, input ${inShape[1]}×${inShape[2]})`;
    return [`- ${where}: top ${top}, bottom ${bottom}, left ${left}, right ${right}`];
  });
  if (uneven.length === 0) return "";
  return `## Padding: TensorFlow's 'same', uneven under a stride

LayerLab's 'same' padding is TensorFlow's: the output is ceil(input / stride), and when the padding needed
is odd the extra row and column go to the bottom and right. These layers pad unevenly:

${uneven.join("\n")}

\`nn.Conv2d(..., padding=1)\` pads every side alike, so a model rebuilt with it by hand gives slightly different
outputs (and some different predictions). model.py's \`Conv2d\` applies \`F.pad(x, (left, right, top, bottom))\`
and then an unpadded convolution; the ONNX file's \`Conv\` carries the same uneven \`pads\`.
`;
}

/** What a graph model's files look like (its layers take outputs other than the previous layer's); "" for a chain. */
function graphNote(view: ModelView, formats: ExportFormat[]): string {
  const layers = view.spec.layers;
  if (isChain(layers)) return "";
  const count = (kind: string) => layers.filter((l) => l.kind === kind).length;
  const lines = [
    `Some layers of this model take other outputs than the previous layer's (${count("add")} add, ${count("concat")} concat).`,
  ];
  if (formats.includes("pytorch")) {
    lines.push(
      "model.py's `LayerLabModel` still holds spec layer i as module i (state_dict keys `i.weight`, ...); its",
      "`forward()` passes each module the outputs the spec names in the layer's `inputs`.",
    );
  }
  if (formats.includes("onnx")) {
    lines.push(
      "In model.onnx an add is an `Add` node and a concat a `Concat` along axis 1 (channels, or vector features).",
    );
  }
  return `## A graph, not a chain\n\n${lines.join("\n")}\n`;
}

/** The README's line naming the checkpoint every file of the bundle holds. */
function sourceLine(source: ExportSource): string {
  const epoch = source.epoch === null ? "epoch not recorded in the weights" : `saved after epoch ${source.epoch}`;
  return `Every file here holds the run's \`${source.file}\` (${epoch}; SHA-256 ${source.sha256}); manifest.json records the same.\n\n`;
}

/** README.md of an export bundle: the checkpoint it holds, when known, and the few lines that load the model and predict, per format. */
export function bundleReadme(view: ModelView, formats: ExportFormat[], source?: ExportSource): string {
  const name = view.spec.name ?? "LayerLab model";
  const classes = view.spec.classes.join(", ");
  return `# ${name}

Exported by LayerLab. Classes (${view.spec.classes.length}): ${classes}.

${source ? sourceLine(source) : ""}${[...formats.map((f) => SECTIONS[f](view)), graphNote(view, formats), imageInputSection(view), paddingNote(view)].filter(Boolean).join("\n")}`;
}
