import { ErrorBody, RunView } from "@layerlab/api";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { HttpError } from "../http-error";
import { importRun, type UploadedFile } from "../runs/import-run";
import { runView } from "../runs/run-view";
import { refuseDeclaredOversize } from "./upload-guards";

/** The most files an import takes: spec.json, two weight files, normalization.json or model.py, README.md, manifest.json. */
const MAX_FILES = 7;
/** Largest model file an import takes (the weights of the largest model the builder allows fit well within it). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** POST /api/runs/import: a model trained elsewhere (an export bundle's files) as a finished run. */
export async function importRoutes(app: FastifyInstance): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().post(
    "/api/runs/import",
    {
      schema: {
        summary:
          "Import a model as a finished run (multipart: files spec.json + weights.safetensors or a state_dict .pt, optional normalization.json or model.py; fields dataset, name)",
        consumes: ["multipart/form-data"],
        response: { 201: RunView, "4xx": ErrorBody },
      },
      onRequest: refuseDeclaredOversize(MAX_FILES * MAX_FILE_BYTES),
    },
    async (req, reply) => {
      if (!req.isMultipart()) {
        throw new HttpError(415, "send multipart/form-data with the model's files and a dataset field");
      }
      const files: UploadedFile[] = [];
      const fields: Record<string, string> = {};
      for await (const part of req.parts({ limits: { files: MAX_FILES, fileSize: MAX_FILE_BYTES, fields: 4 } })) {
        if (part.type === "file") files.push({ name: part.filename, bytes: await part.toBuffer() });
        else fields[part.fieldname] = String(part.value);
      }
      const row = await importRun(
        { registry: app.registry, dataDir: app.settings.dataDir },
        { files, dataset: fields.dataset ?? "", name: fields.name },
      );
      req.log.info(`run ${row.id} imported from ${files.map((f) => f.name).join(", ")}`);
      return reply.code(201).send(runView(row, null));
    },
  );
}
