export * from "./threads";
