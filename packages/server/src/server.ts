import type { FastifyInstance } from "fastify";
import { type BuildAppOptions, buildApp } from "./app";
import { loadServerConfig, type ServerConfig } from "./config";

/** Options of `startServer`; by default everything comes from the environment. */
export interface StartServerOptions {
  config?: ServerConfig;
  env?: Record<string, string | undefined>;
  /** Fastify's logger option (default: log everything). */
  logger?: BuildAppOptions["logger"];
}

/** Builds the app and listens; resolves with the app and its URL. Closes cleanly on SIGINT/SIGTERM. */
export async function startServer(opts: StartServerOptions = {}): Promise<{ app: FastifyInstance; url: string }> {
  const config = opts.config ?? loadServerConfig(opts.env ?? process.env);
  const app = await buildApp({ config, logger: opts.logger ?? true });
  const url = await app.listen({ host: config.host, port: config.port });
  const shutdown = () => {
    void app.close().finally(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  return { app, url };
}
