import { EpochCheckpointList, EpochParams, EpochPredictions, ErrorBody, RunIdParams } from "@layerlab/api";
import { EPOCH_VIEW_TEST_LIMIT } from "@layerlab/spec";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { epochCheckpointListOf, epochPredictionsOf, epochWeightsOf } from "../epochs/epoch-checkpoints";
import { found } from "../http-error";
import { isRunId } from "../runs/run-files";

/** The epoch scrubber's routes: a run's kept epochs, each one's predictions, and each one's weights. */
export async function epochRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const runOf = async (id: string) => found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);
  const served = () => ({ dataDir: app.settings.dataDir, cifar10Url: app.settings.cifar10Url, registry: app.registry });

  app.get(
    "/api/runs/:id/epochs",
    {
      schema: {
        summary:
          "The epochs whose weights the run keeps (its keepEpochCheckpoints), and the test images the scrubber follows across them",
        params: RunIdParams,
        response: { 200: EpochCheckpointList, "4xx": ErrorBody, "5xx": ErrorBody },
      },
    },
    async (req) => epochCheckpointListOf(served(), await runOf(req.params.id)),
  );

  app.get(
    "/api/runs/:id/epochs/:epoch",
    {
      schema: {
        summary: `What the model of one kept epoch predicts for the followed test images, and its confusion matrix on the first ${EPOCH_VIEW_TEST_LIMIT} test images (404 for an epoch the run does not keep)`,
        params: EpochParams,
        response: { 200: EpochPredictions, "4xx": ErrorBody, "5xx": ErrorBody },
      },
    },
    async (req) => epochPredictionsOf(served(), await runOf(req.params.id), req.params.epoch),
  );

  app.get(
    "/api/runs/:id/epochs/:epoch/weights",
    {
      schema: {
        summary: "The weights of one kept epoch (safetensors), to run that epoch's model elsewhere",
        params: EpochParams,
        produces: ["application/octet-stream"],
      },
    },
    async (req, reply) => {
      const { id, epoch } = req.params;
      const bytes = await epochWeightsOf(served(), await runOf(id), epoch);
      return reply
        .type("application/octet-stream")
        .header("content-disposition", `attachment; filename="${id}-epoch-${epoch}.safetensors"`)
        .send(bytes);
    },
  );
}
