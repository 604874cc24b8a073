import { Health } from "@layerlab/api";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { databaseKind } from "../db/connect";
import { pingDatabase } from "../db/migrations";

/** GET /api/health: liveness, registry round trip and queue depth. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app
    .withTypeProvider<ZodTypeProvider>()
    .get("/api/health", { schema: { summary: "Liveness and queue depth", response: { 200: Health } } }, async () => {
      await pingDatabase(app.registry.db as never);
      const { running, queued } = await app.jobs.counts();
      return {
        ok: true,
        running,
        queued,
        workers: await app.workers.views(),
        time: Date.now(),
        database: databaseKind(app.settings.databaseUrl),
        llm: app.settings.llm !== null,
      };
    });
}
