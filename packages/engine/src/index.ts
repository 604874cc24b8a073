export * from "./layers/types";
