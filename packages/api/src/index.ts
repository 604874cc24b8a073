/*
 * The LayerLab HTTP API as zod schemas: the server validates requests and
 * writes its OpenAPI document with them, the web client and the CLI parse
 * answers with them. Browser-safe: zod and @layerlab/spec only.
 */
export * from "./artifacts";
export * from "./common";
export * from "./datasets";
export * from "./epochs";
export * from "./events";
export * from "./explain";
export * from "./health";
export * from "./predict";
export * from "./runs";
export * from "./sweeps";
export * from "./test-predictions";
export * from "./workers";
