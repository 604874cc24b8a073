import { ErrorBody, RunIdParams, TestPredictions } from "@layerlab/api";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { found } from "../http-error";
import { isRunId } from "../runs/run-files";
import { testPredictionsOf } from "../runs/test-predictions";

/** GET /api/runs/:id/test-predictions: the predicted class of every test image, for comparing runs image by image. */
export async function testPredictionRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  app.get(
    "/api/runs/:id/test-predictions",
    {
      schema: {
        summary:
          "The predicted class of every test image, in the test split's order; a run older than that record is evaluated on its saved weights now (409 when it has none)",
        params: RunIdParams,
        response: { 200: TestPredictions, "4xx": ErrorBody, "5xx": ErrorBody },
      },
    },
    async (req) => {
      const { id } = req.params;
      const run = found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);
      const { dataDir, cifar10Url } = app.settings;
      return testPredictionsOf({ dataDir, cifar10Url, registry: app.registry }, run);
    },
  );
}
