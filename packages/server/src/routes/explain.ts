import { existsSync } from "node:fs";
import { join } from "node:path";
import { ErrorBody, ExplainBody, Explanation, RunIdParams } from "@layerlab/api";
import { explainWithLlm, runFindingsOf } from "@layerlab/report";
import { RunFolderError } from "@layerlab/runner";
import type { DoctorFinding } from "@layerlab/spec";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { found, HttpError } from "../http-error";
import { isRunId, runDir } from "../runs/run-files";

/**
 * POST /api/explain and /api/runs/:id/explain: the training doctor's findings
 * explained in plain words by the OpenAI-compatible endpoint the server was
 * started with (LAYERLAB_LLM_URL). Off unless configured; the key never leaves the server.
 */
export async function explainRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const explain = async (findings: DoctorFinding[]): Promise<{ text: string | null }> => {
    const llm = app.settings.llm;
    if (!llm) {
      throw new HttpError(
        501,
        "no LLM endpoint is configured; start the server with LAYERLAB_LLM_URL (and LAYERLAB_LLM_MODEL, LAYERLAB_LLM_KEY) to explain findings",
      );
    }
    try {
      return { text: await explainWithLlm(findings, llm) };
    } catch (err) {
      throw new HttpError(502, (err as Error).message);
    }
  };

  app.post(
    "/api/explain",
    {
      schema: {
        summary: "Explain doctor findings (as the page computed them) in plain words; 501 when no LLM is configured",
        body: ExplainBody,
        response: { 200: Explanation, "4xx": ErrorBody, "5xx": ErrorBody },
      },
    },
    async (req) =>
      explain(
        req.body.findings.map(({ id, severity, title, evidence, suggestion }) => ({
          id,
          severity,
          title,
          evidence,
          suggestion,
        })),
      ),
  );

  app.post(
    "/api/runs/:id/explain",
    {
      schema: {
        summary: "Explain a server run's doctor findings in plain words; 501 when no LLM is configured",
        params: RunIdParams,
        response: { 200: Explanation, "4xx": ErrorBody, "5xx": ErrorBody },
      },
    },
    async (req) => {
      const { id } = req.params;
      found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);
      const dir = runDir(app.settings.dataDir, id);
      if (!existsSync(join(dir, "run.json"))) {
        throw new HttpError(
          409,
          `run ${id} has no run folder yet (a browser run or one still queued); explain its findings with POST /api/explain`,
        );
      }
      const findings = await runFindingsOf(dir).catch((err: unknown) => {
        // The client knows the run by its id, not by the server's folders.
        const inWords = (text: string) => text.split(dir).join(`run ${id}'s folder`);
        if (err instanceof RunFolderError) throw new HttpError(409, `${inWords(err.message)} — ${inWords(err.hint)}`);
        throw err;
      });
      return explain(findings);
    },
  );
}
