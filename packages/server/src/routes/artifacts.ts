import { createReadStream } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  ArtifactParams,
  ArtifactUploaded,
  CURVES_FILE_NAME,
  ErrorBody,
  type EXPORT_FILE_NAMES,
  RUN_FILE_NAMES,
  UPLOADABLE_FILE_NAMES,
} from "@layerlab/api";
import type { ExportFormat } from "@layerlab/export";
import { EXPORT_SUBDIR, exportRunFolderWithManifest, type RunFolderExport } from "@layerlab/export/node";
import { explainWithLlm, runFindingsOf } from "@layerlab/report";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { keepEpochOfResumePoint } from "../epochs/epoch-checkpoints";
import { found, HttpError } from "../http-error";
import { modelFilesOf } from "../inference/model-files";
import { normalizationProblem } from "../inference/normalization";
import { checkWeightsFitSpec } from "../inference/weights-fit";
import { writeReportOffThread } from "../reports/render-off-thread";
import { checkResumePointFitsSpec } from "../runs/resume-point-fit";
import { runCurvesPng } from "../runs/run-curves";
import { isRunId, runDir } from "../runs/run-files";
import { leaseOf } from "./events";

/** Files of a run folder served as they are. */
const RUN_FILES = new Set<string>(RUN_FILE_NAMES);
/** Export files, made by exportRunFolder on request and again whenever the run's checkpoint changes: name → format. */
const EXPORTS: Record<(typeof EXPORT_FILE_NAMES)[number], ExportFormat> = {
  "model.py": "pytorch",
  "model.pt": "pytorch",
  "model.onnx": "onnx",
  "spec.json": "safetensors",
  "export.safetensors": "safetensors",
};
/** Files a browser run may upload. */
const UPLOADABLE = new Set<string>(UPLOADABLE_FILE_NAMES);
/** Largest artifact a browser run may upload. */
const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  json: "application/json",
  csv: "text/csv",
  jsonl: "application/x-ndjson",
  html: "text/html",
  py: "text/x-python",
};

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** GET (and, for browser runs, PUT) /api/runs/:id/artifacts/:name. */
export async function artifactRoutes(app: FastifyInstance): Promise<void> {
  /** The LLM's explanation for a run's report when one is configured; a failing endpoint leaves it out. */
  const explanationOf = async (dir: string): Promise<string | null> => {
    const llm = app.settings.llm;
    if (!llm) return null;
    return runFindingsOf(dir)
      .then((findings) => explainWithLlm(findings, llm))
      .catch((err: Error) => {
        app.log.warn(`report of ${dir}: no LLM explanation: ${err.message}`);
        return null;
      });
  };

  const params = ArtifactParams;
  const allNames = [...RUN_FILES, CURVES_FILE_NAME, ...Object.keys(EXPORTS)].join(", ");

  app
    .withTypeProvider<ZodTypeProvider>()
    .get(
      "/api/runs/:id/artifacts/:name",
      { schema: { summary: `A run's file: ${allNames}`, params, produces: ["application/octet-stream"] } },
      async (req, reply) => {
        const { id, name } = req.params;
        const run = found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);
        const dir = runDir(app.settings.dataDir, id);
        let path: string;
        if (name === CURVES_FILE_NAME) {
          const png = await runCurvesPng(id, dir, `${run.name} — ${run.dataset}`);
          return reply
            .type("image/png")
            .header("content-disposition", `inline; filename="${CURVES_FILE_NAME}"`)
            .send(png);
        }
        if (name === "normalization.json" && !(await exists(join(dir, name)))) {
          // Server runs keep their normalization in run.json (the runner's folder format).
          const run = await readFile(join(dir, "run.json"), "utf8").catch(() => null);
          if (!run) throw new HttpError(404, `run ${id} has no normalization.json (yet)`);
          return reply.type("application/json").send((JSON.parse(run) as { normalization: unknown }).normalization);
        }
        if (name === "report.html") {
          path = join(dir, name);
          // Made on request and again once the run has moved on, so it never shows a stale state.
          const [report, info] = await Promise.all([
            stat(path).catch(() => null),
            stat(join(dir, "run.json")).catch(() => null),
          ]);
          if (!info) throw new HttpError(404, `run ${id} has no run folder yet, so there is nothing to report`);
          if (!report || report.mtimeMs < info.mtimeMs)
            await writeReportOffThread(dir, { dataDir: app.settings.dataDir, explanation: await explanationOf(dir) });
        } else if (RUN_FILES.has(name)) {
          path = join(dir, name);
        } else if (name in EXPORTS) {
          const exported = await currentExport(id, dir, EXPORTS[name as keyof typeof EXPORTS]);
          const exportName = name === "export.safetensors" ? "weights.safetensors" : name;
          path = join(dir, EXPORT_SUBDIR, exportName);
          // Which checkpoint the file holds, so that a download can be matched to its epoch.
          const { checkpoint } = exported.manifest;
          reply
            .header("x-layerlab-checkpoint", checkpoint.file)
            .header("x-layerlab-checkpoint-sha256", checkpoint.sha256);
          if (checkpoint.epoch !== null) reply.header("x-layerlab-checkpoint-epoch", checkpoint.epoch);
        } else {
          throw new HttpError(404, `there is no artifact called ${name}; artifacts are ${allNames}`);
        }
        const info = await stat(path).catch(() => null);
        if (!info) throw new HttpError(404, `run ${id} has no ${name} (yet)`);
        const ext = name.split(".").pop() ?? "";
        return reply
          .type(CONTENT_TYPES[ext] ?? "application/octet-stream")
          .header("content-length", info.size)
          .header("content-disposition", `attachment; filename="${name}"`)
          .send(createReadStream(path));
      },
    );

  // Uploads are stored as the bytes sent, whatever their content type: a scope of
  // its own whose one parser keeps the raw body (the app's JSON parser would re-encode it).
  await app.register(async (uploads) => {
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: MAX_UPLOAD_BYTES }, (_r, body, done) =>
      done(null, body),
    );
    uploads.withTypeProvider<ZodTypeProvider>().put(
      "/api/runs/:id/artifacts/:name",
      {
        schema: {
          summary: `Upload a browser run's ${[...UPLOADABLE].join(", ")}, or any run file of a server run from the worker holding it (x-layerlab-lease); stored byte for byte`,
          params,
          consumes: ["application/octet-stream"],
          response: { 201: ArtifactUploaded, "4xx": ErrorBody },
        },
        bodyLimit: MAX_UPLOAD_BYTES,
      },
      async (req, reply) => {
        const { id, name } = req.params;
        const run = found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);
        // A worker hands over its whole run folder, so that the next holder can resume the run.
        const allowed = run.executor === "server" ? RUN_FILES : UPLOADABLE;
        if (run.executor === "server") await app.workers.runHeldBy(run.id, leaseOf(req.headers));
        else if (run.executor !== "browser")
          throw new HttpError(409, `run ${run.id} was imported; it takes no uploads`);
        if (!allowed.has(name))
          throw new HttpError(400, `${name} cannot be uploaded; allowed: ${[...allowed].join(", ")}`);
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        if (body.length === 0) throw new HttpError(400, `${name} is empty; send the file's bytes as the request body`);
        checkUpload(run.id, run.spec, name, body);
        const dir = runDir(app.settings.dataDir, id);
        await mkdir(dir, { recursive: true });
        const { writeFileAtomic } = await import("@layerlab/data-node");
        await writeFileAtomic(join(dir, name), [body]);
        if (name === "weights.safetensors") await writeFileAtomic(join(dir, "spec.json"), [Buffer.from(run.spec)]);
        // A resume point ends an epoch: its weights become that epoch's checkpoint, as a server run keeps them.
        if (name === "optimizer.safetensors")
          await keepEpochOfResumePoint(app.settings.dataDir, run, new Uint8Array(body)).catch((err: Error) =>
            app.log.warn(`run ${id}: the epoch of its resume point was not kept: ${err.message}`),
          );
        await app.registry.putArtifact(id, name, body.length);
        return reply.code(201).send({ name, bytes: body.length });
      },
    );
  });
}

/**
 * The run's export of `format`, made again whenever the checkpoint it would be
 * made from differs from the one the export folder holds; a 409 when the run
 * has no weights yet or they cannot be exported.
 */
async function currentExport(runId: string, dir: string, format: ExportFormat): Promise<RunFolderExport> {
  await modelFilesOf(runId, dir);
  try {
    return await exportRunFolderWithManifest(dir, format);
  } catch (err) {
    const message = (err as Error).message;
    // The exporter's own errors name the file and the fix; anything else is the server's.
    if (message.startsWith("export: "))
      throw new HttpError(409, `run ${runId} cannot be exported: ${message.slice(8)}`);
    throw err;
  }
}

/** Refuses an upload that would break predictions and exports later: a 400 naming the file and the problem. */
function checkUpload(runId: string, specJson: string, name: string, body: Buffer): void {
  if (name === "weights.safetensors") {
    checkWeightsFitSpec(runId, specJson, new Uint8Array(body));
    return;
  }
  if (name === "optimizer.safetensors") {
    checkResumePointFitsSpec(runId, specJson, new Uint8Array(body));
    return;
  }
  if (!name.endsWith(".json")) return;
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new HttpError(400, `${name} is not JSON (${(err as Error).message}); send the file as JSON text`);
  }
  if (name === "normalization.json") {
    const shape = (JSON.parse(specJson) as { input: { shape: number[] } }).input.shape;
    const problem = normalizationProblem(value, shape);
    if (problem) throw new HttpError(400, `normalization.json does not fit run ${runId}'s model: ${problem}`);
  }
}
