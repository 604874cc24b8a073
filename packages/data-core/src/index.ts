export * from "./augment";
export * from "./batching";
export * from "./dataset";
export * from "./normalize";
export * from "./payload";
export * from "./rng";
export * from "./shapes";
export * from "./stats";
