// The bundle README says what a practitioner needs with only the files at hand:
// an ONNX-only bundle names the mean/std and the metadata key (model.py is not
// there), and a bundle whose 'same' convolutions pad unevenly says so per layer.
import { describe, expect, it } from "vitest";
import { bundleReadme, inferShapes, type ModelView, parseSpec } from "../src";

function viewOf(layers: unknown[], shape = [1, 28, 28], normalization = { mean: [0.1307], std: [0.3081] }): ModelView {
  const spec = parseSpec({
    format: "layerlab.model/1",
    name: "readme case",
    input: { shape },
    layers: [...layers, { kind: "flatten" }, { kind: "dense", units: 2 }],
    classes: ["a", "b"],
  });
  return { spec, shapes: inferShapes(spec), tensors: [], normalization };
}

describe("an ONNX-only bundle's README", () => {
  it("states the mean, the std and the metadata key, and sends no one to model.py", () => {
    const readme = bundleReadme(viewOf([]), ["onnx"]);
    expect(readme).toContain("mean [0.1307] and std [0.3081]");
    expect(readme).toContain("key `normalization`");
    expect(readme).not.toContain("model.py");
  });

  it("says when no normalization was recorded", () => {
    const view = { ...viewOf([]), normalization: undefined };
    expect(bundleReadme(view, ["onnx"])).toContain("No normalization was recorded");
  });
});

describe("the README's padding note", () => {
  it("lists a stride-2 'same' convolution on an even input with its uneven padding", () => {
    const readme = bundleReadme(viewOf([{ kind: "conv2d", filters: 2, kernel: 3, stride: 2, padding: "same" }]), [
      "pytorch",
    ]);
    expect(readme).toContain("TensorFlow's 'same'");
    expect(readme).toContain("layer 0 (conv2d 3×3, stride 2, input 28×28): top 0, bottom 1, left 0, right 1");
    expect(readme).toContain("nn.Conv2d(..., padding=1)");
  });

  it("is left out when every 'same' convolution pads evenly", () => {
    const readme = bundleReadme(viewOf([{ kind: "conv2d", filters: 2, kernel: 3, padding: "same" }]), ["pytorch"]);
    expect(readme).not.toContain("## Padding");
  });
});

describe("the README's image-to-input section", () => {
  it("tells an MNIST-shaped model's user the area resampling and MNIST's digit framing", () => {
    const readme = bundleReadme(viewOf([]), ["pytorch"]);
    expect(readme).toContain("## From an image to the input");
    expect(readme).toContain("0.299·R + 0.587·G + 0.114·B");
    expect(readme).toContain("area averaging");
    expect(readme).toContain("longer side is 20");
  });

  it("keeps colour planes for an RGB model and says nothing of digits", () => {
    const readme = bundleReadme(viewOf([], [3, 32, 32], { mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] }), ["onnx"]);
    expect(readme).toContain("kept as R, G, B planes");
    expect(readme).toContain("ImageOps.pad(image, (32, 32)");
    expect(readme).not.toContain("MNIST");
  });
});
