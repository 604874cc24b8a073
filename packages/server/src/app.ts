import { timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import multipart from "@fastify/multipart";
import fastifyStatic from "@fastify/static";
import swagger from "@fastify/swagger";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { ServerConfig } from "./config";
import { openDatabase } from "./db/connect";
import { migrateToLatest } from "./db/migrations";
import { Registry } from "./db/registry";
import { EventHub } from "./events/hub";
import { HttpError } from "./http-error";
import { JobQueue } from "./jobs/queue";
import { recoverOnStart } from "./recovery";
import { artifactRoutes } from "./routes/artifacts";
import { datasetRoutes } from "./routes/datasets";
import { eventRoutes } from "./routes/events";
import { explainRoutes } from "./routes/explain";
import { healthRoutes } from "./routes/health";
import { predictRoutes } from "./routes/predict";
import { runRoutes } from "./routes/runs";

declare module "fastify" {
  interface FastifyInstance {
    /** The server's configuration. */
    settings: ServerConfig;
    /** The run/dataset registry (typed queries over SQLite). */
    registry: Registry;
    /** Server jobs in worker threads. */
    jobs: JobQueue;
    /** Live fan-out of stored events. */
    hub: EventHub;
  }
}

/** Options of `buildApp`. */
export interface BuildAppOptions {
  config: ServerConfig;
  /** Fastify's logger option (false in tests). */
  logger?: FastifyServerOptions["logger"];
}

const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../web/dist", import.meta.url));

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7) : "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * Builds the Fastify app (not listening): opens and migrates the registry,
 * repairs what a crash left behind, starts the job queue, and registers the
 * API, the OpenAPI document and the web app.
 */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 32 * 1024 * 1024 });
  const db = openDatabase({ dataDir: config.dataDir, databaseUrl: process.env.DATABASE_URL });
  await migrateToLatest(db as never);
  const registry = new Registry(db);
  const hub = new EventHub();
  const jobs = new JobQueue({
    registry,
    hub,
    maxConcurrent: config.maxConcurrentJobs,
    log: { info: (m) => app.log.info(m), error: (m) => app.log.error(m) },
  });
  app.decorate("settings", config);
  app.decorate("registry", registry);
  app.decorate("hub", hub);
  app.decorate("jobs", jobs);
  app.addHook("onClose", async () => {
    await jobs.close();
    await db.destroy();
  });

  const repairs = await recoverOnStart({ registry, jobs, dataDir: config.dataDir });
  for (const line of repairs) app.log.warn(`start-up repair: ${line}`);

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.message, ...err.extra });
    const status = err.statusCode ?? 500;
    if (status >= 500) app.log.error(err);
    const message =
      err.validation !== undefined ? `invalid request: ${err.message}` : status >= 500 ? "internal error" : err.message;
    return reply.code(status).send({ error: message });
  });

  // Cross-origin isolation gives the page SharedArrayBuffer, so the engine can
  // train on jax-js's multithreaded Wasm; everything served is same-origin.
  app.addHook("onSend", async (_req, reply) => {
    reply.header("cross-origin-opener-policy", "same-origin");
    reply.header("cross-origin-embedder-policy", "require-corp");
  });

  if (config.token !== null) {
    const token = config.token;
    app.addHook("onRequest", async (req, reply) => {
      if (!req.url.startsWith("/api/") || req.url.startsWith("/api/health")) return;
      // EventSource and WebSocket clients cannot set headers; they may pass ?access_token= instead.
      const query = new URL(req.url, "http://x").searchParams.get("access_token");
      const header = req.headers.authorization ?? (query ? `Bearer ${query}` : undefined);
      if (!tokenMatches(header, token)) {
        return reply
          .code(401)
          .header("www-authenticate", "Bearer")
          .send({ error: "this server needs an access token: send Authorization: Bearer <LAYERLAB_TOKEN>" });
      }
    });
  }

  await app.register(swagger, {
    openapi: {
      info: {
        title: "LayerLab API",
        version: "0.1.0",
        description: "Runs, datasets, live events, artifacts, inference.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(multipart, { limits: { fileSize: config.maxUploadBytes, files: 1, fields: 8 } });

  await app.register(healthRoutes);
  await app.register(runRoutes);
  await app.register(eventRoutes);
  await app.register(datasetRoutes);
  await app.register(artifactRoutes);
  await app.register(predictRoutes);
  await app.register(explainRoutes);
  app.get("/api/docs", { schema: { hide: true } }, async () => app.swagger());

  const webDir = config.webDir ?? DEFAULT_WEB_DIR;
  if (existsSync(webDir)) {
    await app.register(fastifyStatic, { root: webDir, prefix: "/", wildcard: false });
    app.setNotFoundHandler((req, reply) => {
      if (req.method === "GET" && !req.url.startsWith("/api/")) return reply.sendFile("index.html");
      return reply.code(404).send({ error: `no route ${req.method} ${req.url.split("?")[0]}` });
    });
  } else {
    app.get("/", { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type("text/html")
        .send(
          "<!doctype html><title>LayerLab</title><p>The web app is not built: run <code>npm run build -w @layerlab/web</code>. The API is at <a href=/api/docs>/api/docs</a>.</p>",
        ),
    );
    app.setNotFoundHandler((req, reply) =>
      reply.code(404).send({ error: `no route ${req.method} ${req.url.split("?")[0]}` }),
    );
  }
  return app;
}
