import { BestRunPrediction, ErrorBody, NoModelBody, PredictBody, Prediction, RunIdParams } from "@layerlab/api";
import { framesDrawingsAsDigits } from "@layerlab/data-core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { found, HttpError } from "../http-error";
import { modelFilesOf } from "../inference/model-files";
import { Predictor, type Preprocess } from "../inference/predictor";
import { isRunId, runDir } from "../runs/run-files";
import { type RunListQuery, runFilterFromQuery } from "./runs";

const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
/** How many of the best-ranked runs /api/predict looks through for one that has weights. */
const CANDIDATE_RUNS = 20;

const hasModel = (runId: string, dir: string) =>
  modelFilesOf(runId, dir).then(
    () => true,
    () => false,
  );

/** Decodes `data:image/...;base64,...` (or bare base64) into bytes. */
export function decodeDataUrl(value: unknown): Uint8Array {
  if (typeof value !== "string" || value === "") {
    throw new HttpError(400, 'image is required: "data:image/png;base64,…" or a multipart field named file');
  }
  const match = /^data:image\/[a-z+.-]+;base64,(.*)$/is.exec(value);
  const b64 = match ? match[1]! : value;
  if (!/^[A-Za-z0-9+/=\s]+$/.test(b64)) throw new HttpError(400, "image is not base64 data; send a data: URL of a PNG");
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length === 0) throw new HttpError(400, "image is empty");
  if (bytes.length > MAX_IMAGE_BYTES) throw new HttpError(413, "image is larger than 8 MB; send a smaller one");
  return new Uint8Array(bytes);
}

/** The image and options of a predict request, from JSON or multipart. */
async function readImage(req: FastifyRequest): Promise<{ image: Uint8Array; fields: Record<string, unknown> }> {
  if (req.isMultipart()) {
    const fields: Record<string, unknown> = {};
    let image: Uint8Array | null = null;
    for await (const part of req.parts({ limits: { fileSize: MAX_IMAGE_BYTES } })) {
      if (part.type === "field") fields[part.fieldname] = part.value;
      else if (part.fieldname === "file") {
        image = new Uint8Array(await part.toBuffer());
        if (part.file.truncated) throw new HttpError(413, "image is larger than 8 MB; send a smaller one");
      } else part.file.resume();
    }
    if (!image) throw new HttpError(400, "no image: send it in a multipart field named file");
    return { image, fields };
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  return { image: decodeDataUrl(body.image ?? body.image_data), fields: body };
}

function preprocessOf(fields: Record<string, unknown>, dataset: string): Preprocess {
  const p = fields.preprocess;
  if (p === "mnist" || p === "resize") return p;
  if (p !== undefined) throw new HttpError(400, 'preprocess must be "mnist" or "resize"');
  return framesDrawingsAsDigits(dataset) ? "mnist" : "resize";
}

/** Inference: one run's model, or the best run matching a config (seed 001's lookup). */
export async function predictRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const predictor = new Predictor();

  app.post(
    "/api/runs/:id/predict",
    {
      schema: {
        summary: 'Classify an image: JSON {"image":"data:image/png;base64,…","preprocess"?} or multipart file',
        params: RunIdParams,
        body: PredictBody,
        consumes: ["application/json", "multipart/form-data"],
        response: { 200: Prediction, "4xx": ErrorBody },
      },
      // The body is JSON or multipart: the handler reads both and names what is missing in words of its own.
      attachValidation: true,
    },
    async (req) => {
      const run = found(
        isRunId(req.params.id) ? await app.registry.getRun(req.params.id) : undefined,
        `run ${req.params.id}`,
      );
      if (run.status !== "succeeded" && run.status !== "aborted" && run.status !== "interrupted") {
        if (run.status !== "running" || run.executor !== "server") {
          throw new HttpError(409, `run ${run.id} is ${run.status} and has no model to predict with`);
        }
      }
      const { image, fields } = await readImage(req);
      const preprocess = preprocessOf(fields, run.dataset);
      const result = await predictor.classify(run.id, runDir(app.settings.dataDir, run.id), image, preprocess);
      return { runId: run.id, preprocess, ...result };
    },
  );

  app.post(
    "/api/predict",
    {
      schema: {
        summary: "Classify with the best finished run matching a config filter (same fields as GET /api/runs)",
        body: PredictBody,
        consumes: ["application/json", "multipart/form-data"],
        response: { 200: BestRunPrediction, 404: NoModelBody, "4xx": ErrorBody },
      },
      attachValidation: true,
    },
    async (req, reply) => {
      const { image, fields } = await readImage(req);
      const query = (
        typeof fields.params === "object" && fields.params !== null ? fields.params : fields
      ) as RunListQuery & Record<string, unknown>;
      const filter = runFilterFromQuery({ ...query, status: undefined });
      filter.status = ["succeeded"];
      const ranked = await app.registry.listRuns(
        filter,
        { field: "testAccuracy", order: "desc" },
        { limit: CANDIDATE_RUNS, offset: 0 },
      );
      // The best run that has a model: a browser run that finished without uploading its weights is skipped, not answered with.
      let best: (typeof ranked)[number] | undefined;
      for (const run of ranked) {
        if (await hasModel(run.id, runDir(app.settings.dataDir, run.id))) {
          best = run;
          break;
        }
      }
      if (!best) {
        const prefill = new URLSearchParams();
        for (const [k, v] of Object.entries(query)) {
          if (
            k !== "image" &&
            k !== "image_data" &&
            (typeof v === "string" || typeof v === "number" || typeof v === "boolean")
          ) {
            prefill.set(k, String(v));
          }
        }
        return reply.code(404).send({
          error: "no model trained for this configuration yet",
          trainUrl: `/#/builder?${prefill.toString()}`,
        });
      }
      const preprocess = preprocessOf(fields, best.dataset);
      const result = await predictor.classify(best.id, runDir(app.settings.dataDir, best.id), image, preprocess);
      return { runId: best.id, testAccuracy: best.test_accuracy, preprocess, ...result };
    },
  );
}
