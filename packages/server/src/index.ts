export { type BuildAppOptions, buildApp } from "./app";
export { ConfigError, isLoopbackHost, loadServerConfig, type ServerConfig } from "./config";
export { Registry, type RunFilter } from "./db/registry";
export type { Executor, RunStatus } from "./db/schema";
export type { RunView } from "./runs/run-view";
export { type StartServerOptions, startServer } from "./server";
