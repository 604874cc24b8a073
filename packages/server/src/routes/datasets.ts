import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import {
  DatasetDataQuery,
  DatasetIdParams,
  DatasetList,
  DatasetUploaded,
  ErrorBody,
  type ImportReport,
} from "@layerlab/api";
import {
  BUILTIN_DATASETS,
  DatasetImportError,
  importDataset,
  saveDataset,
  savedDatasetPath,
} from "@layerlab/data-node";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { servedDatasetFile, servedTestFile } from "../datasets/served-files";
import { found, HttpError } from "../http-error";
import { closeAfterReply, refuseDeclaredOversize, uploadTooLarge, watchForStall } from "./upload-guards";

/** Folder for uploads in flight; emptied at start-up. */
export function uploadsDir(dataDir: string): string {
  return join(dataDir, "uploads");
}

/** What the multipart body of an upload carried besides the file, which is on disk at the given path. */
interface ReceivedUpload {
  name: string | undefined;
  /** The client's name for the file, used in messages in place of the server's temporary path. */
  fileName: string;
}

/**
 * Streams the upload's `file` part to `temp` (never held in memory whole) and reads its `name` field;
 * `signal` stops the copy. Throws 400 without a file and 413 over `maxBytes`.
 */
async function receiveUpload(
  req: FastifyRequest,
  temp: string,
  maxBytes: number,
  signal: AbortSignal,
): Promise<ReceivedUpload> {
  let name: string | undefined;
  let gotFile = false;
  let fileName = "the upload";
  try {
    for await (const part of req.parts()) {
      if (part.type === "field") {
        if (part.fieldname === "name" && typeof part.value === "string") name = part.value.slice(0, 200);
        continue;
      }
      if (part.fieldname !== "file" || gotFile) {
        part.file.resume();
        continue;
      }
      gotFile = true;
      fileName = part.filename || "the upload";
      await pipeline(part.file, createWriteStream(temp), { signal });
      if (part.file.truncated) throw uploadTooLarge(maxBytes);
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "FST_REQ_FILE_TOO_LARGE" || code === "FST_FILES_LIMIT") throw uploadTooLarge(maxBytes);
    throw err;
  }
  if (!gotFile) throw new HttpError(400, "no file: send the ZIP in a multipart field named file");
  return { name, fileName };
}

/** /api/datasets: list, upload (multipart ZIP), binary data, delete. */
export async function datasetRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { dataDir, maxUploadBytes, uploadIdleTimeoutMs, cifar10Url } = app.settings;

  app.get(
    "/api/datasets",
    { schema: { summary: "Built-in and imported datasets", response: { 200: DatasetList } } },
    async () => ({
      builtin: BUILTIN_DATASETS.map((d) => ({ id: d.name, ...d, classes: [...d.classes], builtin: true as const })),
      imported: (await app.registry.listDatasets()).map((d) => ({ ...d, builtin: false as const })),
    }),
  );

  app.post(
    "/api/datasets",
    {
      schema: {
        summary: "Upload a dataset ZIP (multipart field file, optional name)",
        consumes: ["multipart/form-data"],
        response: { 201: DatasetUploaded, "4xx": ErrorBody },
      },
      onRequest: refuseDeclaredOversize(maxUploadBytes),
    },
    async (req, reply) => {
      if (!req.isMultipart()) throw new HttpError(415, "send multipart/form-data with the ZIP in a field named file");
      await mkdir(uploadsDir(dataDir), { recursive: true });
      const temp = join(uploadsDir(dataDir), `${randomBytes(8).toString("hex")}.zip.tmp`);
      const stall = watchForStall(req.raw, uploadIdleTimeoutMs);
      const received = receiveUpload(req, temp, maxUploadBytes, stall.signal);
      const receiving = received.then(
        () => {},
        () => {},
      );
      let created: { id: string; name: string; report: z.output<typeof ImportReport> };
      try {
        const { name, fileName } = await Promise.race([received, stall.stalled]);
        stall.stop();
        const size = (await stat(temp)).size;
        const { dataset, report } = await importDataset(temp, {
          name: name?.trim() || "uploaded dataset",
          limits: { maxArchiveBytes: maxUploadBytes },
        }).catch((err: unknown) => {
          // The message names the server's temporary file; the client knows its upload by its own name.
          if (err instanceof DatasetImportError) throw new HttpError(422, err.message.split(temp).join(fileName));
          throw err;
        });
        const id = `ds-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
        const path = await saveDataset(dataDir, id, dataset);
        const bytes = (await stat(path)).size;
        try {
          await app.registry.insertDataset({
            id,
            name: dataset.name,
            shape: [...dataset.shape] as [number, number, number],
            classes: [...dataset.classes],
            trainCount: dataset.train.count,
            testCount: dataset.test.count,
            report: { ...report, source: "upload" },
            bytes,
            createdAt: Date.now(),
          });
        } catch (err) {
          await rm(path, { force: true });
          throw err;
        }
        req.log.info(`dataset ${id} imported from a ${size}-byte upload, decoded to ${report.decoded.summary}`);
        created = { id, name: dataset.name, report: { ...report, source: "upload" } };
      } catch (err) {
        const refusal = stall.signal.aborted ? (stall.signal.reason as HttpError) : err;
        // Whatever the client still sends of a body refused half-way is not worth reading.
        if (refusal instanceof HttpError && (refusal.statusCode === 408 || refusal.statusCode === 413))
          closeAfterReply(reply);
        throw refusal;
      } finally {
        stall.stop();
        // The temporary file goes once receiving has settled: removed earlier, a write stream still opening
        // would recreate it. A stalled upload is answered first; its receiving settles as the connection closes.
        const removeTemp = receiving.then(() => rm(temp, { force: true }));
        if (stall.signal.aborted)
          void removeTemp.catch((err: Error) => req.log.warn(`upload ${temp} not removed: ${err.message}`));
        else await removeTemp;
      }
      // Answered once the temporary file is gone, so a client that sees 201 sees nothing left behind.
      return reply.code(201).send(created);
    },
  );

  const served = { dataDir, registry: app.registry, cifar10Url };

  app.get(
    "/api/datasets/:id/data",
    {
      schema: {
        summary:
          "A dataset's uint8 images and labels (LAYERLAB-DATASET-1 binary form), cacheable; ?split=test sends only the test split",
        params: DatasetIdParams,
        querystring: DatasetDataQuery,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const split = req.query.split ?? "all";
      const path = split === "test" ? await servedTestFile(served, id) : await servedDatasetFile(served, id);
      const info = await stat(path);
      const etag = `"${id}-${split}-${info.size}-${Math.floor(info.mtimeMs)}"`;
      reply.header("etag", etag).header("cache-control", "private, max-age=86400");
      if (req.headers["if-none-match"] === etag) return reply.code(304).send();
      return reply
        .type("application/octet-stream")
        .header("content-length", info.size)
        .header("x-layerlab-format", "LAYERLAB-DATASET-1")
        .send(createReadStream(path));
    },
  );

  const deleteSchema = { summary: "Delete an imported dataset no run uses", params: DatasetIdParams };
  app.delete("/api/datasets/:id", { schema: deleteSchema }, async (req, reply) => {
    const { id } = req.params;
    if (BUILTIN_DATASETS.some((d) => d.name === id))
      throw new HttpError(409, `${id} is built in and cannot be deleted`);
    found(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) ? await app.registry.getDataset(id) : undefined,
      `dataset ${id}`,
    );
    const users = await app.registry.runsUsingDataset(id);
    if (users > 0) throw new HttpError(409, `dataset ${id} is used by ${users} run(s); delete those runs first`);
    await app.registry.deleteDataset(id);
    await rm(savedDatasetPath(dataDir, id), { force: true });
    return reply.code(204).send();
  });
}
