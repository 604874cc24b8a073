export * from "./export";
export { importTorch, normalizationFromModelPy } from "./import-torch";
export * from "./model-view";
export * from "./native";
export { encodeOnnx, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT } from "./onnx";
export { pytorchModelCode } from "./pytorch-code";
export { bundleReadme } from "./readme";
export { encodeTorchStateDict, type TorchTensor } from "./torch-pt";
export { decodeTorchStateDict, TorchLoadError } from "./torch-pt-read";
