import type { FastifyInstance } from "fastify";
import { pingDatabase } from "../db/migrations";

/** GET /api/health: liveness, registry round trip and queue depth. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    "/api/health",
    {
      schema: {
        summary: "Liveness and queue depth",
        response: {
          200: {
            type: "object",
            properties: {
              ok: { type: "boolean" },
              running: { type: "integer" },
              queued: { type: "integer" },
              time: { type: "number" },
              llm: { type: "boolean", description: "whether the doctor's findings can be explained by an LLM" },
            },
          },
        },
      },
    },
    async () => {
      await pingDatabase(app.registry.db as never);
      return {
        ok: true,
        running: app.jobs.runningIds().length,
        queued: app.jobs.waitingCount,
        time: Date.now(),
        llm: app.settings.llm !== null,
      };
    },
  );
}
