export * from "./config-flags";
export * from "./errors";
export * from "./program";
export * from "./progress";
