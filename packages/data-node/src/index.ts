export * from "./idx";
export * from "./mnist";
