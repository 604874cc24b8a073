import type { ModelView } from "./model-view";

/** The formats `exportModel` writes. */
export type ExportFormat = "pytorch" | "onnx" | "safetensors";

const SECTIONS: Record<ExportFormat, (view: ModelView) => string> = {
  pytorch: () => `## PyTorch: model.py + model.pt

\`\`\`python
import torch
from model import CLASSES, load, preprocess

model = load("model.pt")  # LayerLabModel with torch.load(..., weights_only=True), in eval mode
with torch.no_grad():
    probabilities = model(preprocess(images)).softmax(-1)  # images: uint8 [N, C, H, W]
print(CLASSES[int(probabilities[0].argmax())])
\`\`\`
`,
  onnx: (view) => `## ONNX: model.onnx

Input \`input\` [batch, ${view.spec.input.shape.join(", ")}] (normalised as \`preprocess\` in model.py does it),
output \`probabilities\` [batch, ${view.spec.classes.length}] (softmax included). Opset 17.

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

/** README.md of an export bundle: the few lines that load the model and predict, per format. */
export function bundleReadme(view: ModelView, formats: ExportFormat[]): string {
  const name = view.spec.name ?? "LayerLab model";
  const classes = view.spec.classes.join(", ");
  return `# ${name}

Exported by LayerLab. Classes (${view.spec.classes.length}): ${classes}.

${formats.map((f) => SECTIONS[f](view)).join("\n")}`;
}
