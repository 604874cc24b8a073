import { ErrorBody, WorkerClaim, WorkerClaimBody, WorkerHeartbeatAnswer, WorkerHeartbeatBody } from "@layerlab/api";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";

/** POST /api/workers/heartbeat and /api/workers/claim: how `layerlab worker`s take part. */
export async function workerRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  // Workers' silence counts from when this server can hear them.
  plain.addHook("onReady", async () => plain.workers.start());
  app.post(
    "/api/workers/heartbeat",
    {
      schema: {
        summary:
          "A worker says it is alive and which claims it holds; the answer lists claims to give up (aborted, or taken over after its silence)",
        body: WorkerHeartbeatBody,
        response: { 200: WorkerHeartbeatAnswer, "4xx": ErrorBody },
      },
    },
    async (req) => app.workers.heartbeat(req.body),
  );
  app.post(
    "/api/workers/claim",
    {
      schema: {
        summary:
          "A worker takes the oldest waiting server run (204 when none waits); it trains it, or resumes it from the files listed, and uploads events and files with the lease",
        body: WorkerClaimBody,
        response: { 200: WorkerClaim, 204: z.null().meta({ description: "No run is waiting" }), "4xx": ErrorBody },
      },
    },
    async (req, reply) => {
      const claim = await app.workers.claim(req.body.name);
      return claim ? claim : reply.code(204).send(null);
    },
  );
}
