export * from "./dead-units";
export * from "./diagnose";
export * from "./fixes";
export * from "./graph-rules";
export * from "./learning-rates";
export * from "./rules";
export * from "./thresholds";
export * from "./types";
