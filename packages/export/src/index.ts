export * from "./export";
export * from "./model-view";
export * from "./native";
export { encodeOnnx, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT } from "./onnx";
export { pytorchModelCode } from "./pytorch-code";
export { bundleReadme } from "./readme";
export { encodeTorchStateDict, type TorchTensor } from "./torch-pt";
