import { createReadStream } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { EXPORT_SUBDIR, exportRunFolder } from "@layerlab/export/node";
import { explainWithLlm, runFindingsOf, writeReport } from "@layerlab/report";
import type { FastifyInstance } from "fastify";
import { found, HttpError } from "../http-error";
import { isRunId, runDir } from "../runs/run-files";

/** Files of a run folder served as they are. */
const RUN_FILES = new Set([
  "weights.safetensors",
  "metrics.csv",
  "metrics.json",
  "events.jsonl",
  "normalization.json",
  "config.json",
  "run.json",
  "test.json",
  "weights.best.safetensors",
  "report.html",
]);
/** Export files, made by exportRunFolder on first request: name → format. */
const EXPORTS: Record<string, "pytorch" | "onnx" | "safetensors"> = {
  "model.py": "pytorch",
  "model.pt": "pytorch",
  "model.onnx": "onnx",
  "spec.json": "safetensors",
  "export.safetensors": "safetensors",
};
/** Files a browser run may upload. */
const UPLOADABLE = new Set(["weights.safetensors", "metrics.json", "metrics.csv", "normalization.json"]);

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

  const params = {
    type: "object",
    required: ["id", "name"],
    properties: { id: { type: "string", maxLength: 64 }, name: { type: "string", maxLength: 64 } },
  } as const;
  const allNames = [...RUN_FILES, ...Object.keys(EXPORTS)].join(", ");

  app.get<{ Params: { id: string; name: string } }>(
    "/api/runs/:id/artifacts/:name",
    { schema: { summary: `A run's file: ${allNames}`, params } },
    async (req, reply) => {
      const { id, name } = req.params;
      found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);
      const dir = runDir(app.settings.dataDir, id);
      let path: string;
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
          await writeReport(dir, undefined, { dataDir: app.settings.dataDir, explanation: await explanationOf(dir) });
      } else if (RUN_FILES.has(name)) {
        path = join(dir, name);
      } else if (name in EXPORTS) {
        const exportName = name === "export.safetensors" ? "weights.safetensors" : name;
        path = join(dir, EXPORT_SUBDIR, exportName);
        const exists = await stat(path).then(
          () => true,
          () => false,
        );
        if (!exists) {
          const hasWeights = await stat(join(dir, "weights.safetensors")).then(
            () => true,
            () => false,
          );
          if (!hasWeights) throw new HttpError(404, `run ${id} has no weights yet, so ${name} cannot be exported`);
          await exportRunFolder(dir, EXPORTS[name]!);
        }
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

  app.addContentTypeParser(
    "application/octet-stream",
    { parseAs: "buffer", bodyLimit: 256 * 1024 * 1024 },
    (_r, body, done) => done(null, body),
  );
  app.put<{ Params: { id: string; name: string }; Body: Buffer }>(
    "/api/runs/:id/artifacts/:name",
    { schema: { summary: `Upload a browser run's ${[...UPLOADABLE].join(", ")}`, params } },
    async (req, reply) => {
      const { id, name } = req.params;
      const run = found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);
      if (run.executor !== "browser") throw new HttpError(409, "only browser runs upload artifacts");
      if (!UPLOADABLE.has(name))
        throw new HttpError(400, `${name} cannot be uploaded; allowed: ${[...UPLOADABLE].join(", ")}`);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.from(JSON.stringify(req.body ?? null));
      const dir = runDir(app.settings.dataDir, id);
      await mkdir(dir, { recursive: true });
      const { writeFileAtomic } = await import("@layerlab/data-node");
      await writeFileAtomic(join(dir, name), [body]);
      if (name === "weights.safetensors") await writeFileAtomic(join(dir, "spec.json"), [Buffer.from(run.spec)]);
      await app.registry.putArtifact(id, name, body.length);
      return reply.code(201).send({ name, bytes: body.length });
    },
  );
}
