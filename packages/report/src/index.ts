export * from "./llm";
export * from "./render";
