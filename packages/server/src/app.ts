import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import multipart from "@fastify/multipart";
import fastifyStatic from "@fastify/static";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import websocket from "@fastify/websocket";
import { API_DOCS_PAGE } from "@layerlab/api";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { ConfigError, type ServerConfig } from "./config";
import { prepareDataDir } from "./data-dir";
import { openDatabase } from "./db/connect";
import { migrateToLatest } from "./db/migrations";
import { Registry } from "./db/registry";
import type { RegistrySchema } from "./db/schema";
import { diskFullHttpError, isDiskFull } from "./disk-full";
import { EventHub } from "./events/hub";
import { HttpError } from "./http-error";
import { BossQueue } from "./jobs/boss-queue";
import { JobQueue } from "./jobs/queue";
import type { RunQueue } from "./jobs/run-queue";
import { recoverOnStart } from "./recovery";
import { artifactRoutes } from "./routes/artifacts";
import { datasetRoutes } from "./routes/datasets";
import { epochRoutes } from "./routes/epochs";
import { eventRoutes } from "./routes/events";
import { explainRoutes } from "./routes/explain";
import { healthRoutes } from "./routes/health";
import { importRoutes } from "./routes/import";
import { predictRoutes } from "./routes/predict";
import { runRoutes } from "./routes/runs";
import { sweepRoutes } from "./routes/sweeps";
import { testPredictionRoutes } from "./routes/test-predictions";
import { workerRoutes } from "./routes/workers";
import { requireAccessToken } from "./security/access-token";
import { guardRequestOrigin, originPolicy } from "./security/request-origin";
import { validationMessage } from "./validation-message";
import { withWebSocketPath } from "./websocket-doc";
import { WorkerCoordinator } from "./workers/coordinator";

declare module "fastify" {
  interface FastifyInstance {
    /** The server's configuration. */
    settings: ServerConfig;
    /** The run/dataset registry (typed queries over SQLite). */
    registry: Registry;
    /** Server runs waiting and training (in this process's threads, or also on workers with PostgreSQL). */
    jobs: RunQueue;
    /** Heartbeats, claims and leases of `layerlab worker`s. */
    workers: WorkerCoordinator;
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

/** Brings the registry up to date; a PostgreSQL that cannot be reached is named with the fix. */
async function migrateRegistry(db: Kysely<RegistrySchema>, config: ServerConfig): Promise<void> {
  try {
    await migrateToLatest(db as never);
  } catch (err) {
    await db.destroy();
    if (config.databaseUrl === null) throw err;
    const where = new URL(config.databaseUrl);
    throw new ConfigError(
      `cannot use the registry database ${where.hostname}:${where.port || 5432}${where.pathname} (DATABASE_URL): ${(err as Error).message}; start PostgreSQL there, create the database and check the user and password, or unset DATABASE_URL to keep the registry in SQLite under DATA_DIR`,
    );
  }
}

/**
 * Builds the Fastify app (not listening): opens and migrates the registry,
 * repairs what a crash left behind, starts the job queue, and registers the
 * API, the OpenAPI document and the web app.
 */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = opts;
  prepareDataDir(config.dataDir);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 32 * 1024 * 1024,
  });
  // Routes declare @layerlab/api's zod schemas: requests are validated and answers written with them.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const db = openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  await migrateRegistry(db, config);
  const registry = new Registry(db);
  const hub = new EventHub();
  const log = { info: (m: string) => app.log.info(m), error: (m: string) => app.log.error(m) };
  // With PostgreSQL, runs queue in pg-boss, where this server's threads and `layerlab worker`s claim them.
  const boss = config.databaseUrl
    ? await BossQueue.open({
        databaseUrl: config.databaseUrl,
        registry,
        hub,
        dataDir: config.dataDir,
        localSlots: config.maxConcurrentJobs,
        log,
      })
    : null;
  const jobs: RunQueue = boss ?? new JobQueue({ registry, hub, maxConcurrent: config.maxConcurrentJobs, log });
  const workers = new WorkerCoordinator({ registry, queue: boss, leaseMs: config.workerLeaseMs, log });
  app.decorate("settings", config);
  app.decorate("registry", registry);
  app.decorate("hub", hub);
  app.decorate("jobs", jobs);
  app.decorate("workers", workers);
  app.addHook("onClose", async () => {
    workers.close();
    await jobs.close();
    await db.destroy();
  });

  const repairs = await recoverOnStart({ registry, jobs, dataDir: config.dataDir });
  for (const line of repairs) app.log.warn(`start-up repair: ${line}`);

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, _req, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.message, ...err.extra });
    if (isDiskFull(err)) {
      app.log.error(err);
      const full = diskFullHttpError(config.dataDir);
      return reply.code(full.statusCode).send({ error: full.message });
    }
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reply.code(413).send({ error: "the request body is larger than this route accepts; send a smaller one" });
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) app.log.error(err);
    const message =
      err.validation !== undefined
        ? `invalid request: ${validationMessage(err)}`
        : status >= 500
          ? "internal error"
          : err.message;
    return reply.code(status).send({ error: message });
  });

  // Cross-origin isolation gives the page SharedArrayBuffer, so the engine can
  // train on jax-js's multithreaded Wasm; everything served is same-origin.
  app.addHook("onSend", async (_req, reply) => {
    reply.header("cross-origin-opener-policy", "same-origin");
    reply.header("cross-origin-embedder-policy", "require-corp");
  });

  acceptEmptyJsonBodies(app);

  await app.register(swagger, {
    openapi: {
      info: {
        title: "LayerLab API",
        version: "0.1.0",
        description: "Runs, datasets, live events, artifacts, inference.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
    transform: jsonSchemaTransform,
    transformObject: (document) =>
      "openapiObject" in document ? withWebSocketPath(document.openapiObject) : document.swaggerObject,
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  // After the WebSocket plugin's own hooks, so that a refused upgrade's socket is closed like any other.
  app.addHook("onRequest", guardRequestOrigin(originPolicy(config.host, config.allowedHosts, config.allowedOrigins)));
  await app.register(multipart, { limits: { fileSize: config.maxUploadBytes, files: 1, fields: 8 } });

  // Health and the API's description are public; everything else is one plugin
  // scope whose hook checks the token on whatever route the router matched.
  await app.register(healthRoutes);
  app.get("/api/docs", { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: API_DOCS_PAGE });
  await app.register(async (api) => {
    if (config.token !== null) api.addHook("onRequest", requireAccessToken(config.token));
    await api.register(runRoutes);
    await api.register(sweepRoutes);
    await api.register(eventRoutes);
    await api.register(datasetRoutes);
    await api.register(artifactRoutes);
    await api.register(predictRoutes);
    await api.register(testPredictionRoutes);
    await api.register(epochRoutes);
    await api.register(explainRoutes);
    await api.register(importRoutes);
    await api.register(workerRoutes);
  });

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

/**
 * JSON bodies as Fastify parses them, except that an empty body is no body:
 * clients send `Content-Type: application/json` with nothing on actions such
 * as abort and resume, and routes that need a body say so in their schema.
 */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") return done(null, undefined);
    return parseJson(req, text, done);
  });
}
