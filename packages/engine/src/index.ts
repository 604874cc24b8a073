export * from "./backend";
export * from "./epoch-view";
export * from "./evaluate";
export * from "./gradient-stats";
export * from "./inference";
export * from "./io/checkpoint";
export * from "./io/safetensors";
export * from "./io/tree-io";
export * from "./layer-cost";
export * from "./layers";
export * from "./layers/types";
export * from "./loss";
export * from "./model";
export {
  ConvStack,
  type ConvStackPlan,
  convStackFor,
  convStackPlan,
  convStackThreads,
  convStackThreadsFor,
  setConvStack,
} from "./native/convStack";
export * from "./optim";
export * from "./saliency";
export * from "./threads";
export * from "./throughput";
export * from "./train";
