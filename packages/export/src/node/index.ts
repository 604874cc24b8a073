export * from "../index";
export * from "./run-folder";
