import type { DoctorFinding } from "@layerlab/spec";

/** The environment variables the LLM explanation reads. */
export interface LlmEnv {
  /** Base URL of an OpenAI-compatible API, e.g. `http://127.0.0.1:8080` or `https://api.openai.com` (with or without `/v1`). */
  LAYERLAB_LLM_URL?: string;
  LAYERLAB_LLM_KEY?: string;
  /** Model name sent to the endpoint (default `gpt-4o-mini`). */
  LAYERLAB_LLM_MODEL?: string;
}

const SYSTEM_PROMPT =
  "You explain a neural-network training run to a learner. You get a training doctor's findings as JSON. " +
  "In at most 150 words of plain language, say what went wrong, why, and which suggestion to try first. " +
  "Do not invent numbers that are not in the findings.";

/**
 * Asks an OpenAI-compatible `/v1/chat/completions` endpoint to explain the
 * findings in plain words. Off by default: returns null unless
 * `LAYERLAB_LLM_URL` is set (and for no findings). Throws an error naming the
 * endpoint and the fix when the endpoint fails.
 */
export async function explainWithLlm(
  findings: readonly DoctorFinding[],
  env: LlmEnv = process.env as LlmEnv,
  opts: { timeoutMs?: number } = {},
): Promise<string | null> {
  const base = env.LAYERLAB_LLM_URL?.trim();
  if (!base || findings.length === 0) return null;
  const url = `${base.replace(/\/+$/, "").replace(/\/v1$/, "")}/v1/chat/completions`;
  const body = {
    model: env.LAYERLAB_LLM_MODEL || "gpt-4o-mini",
    temperature: 0.2,
    messages: [
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: JSON.stringify(findings.map(({ fix: _fix, ...f }) => f)) },
    ],
  };
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (env.LAYERLAB_LLM_KEY) headers.authorization = `Bearer ${env.LAYERLAB_LLM_KEY}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
  } catch (err) {
    throw new Error(
      `the LLM endpoint ${url} could not be reached (${(err as Error).message}) — check LAYERLAB_LLM_URL, or unset it to skip the explanation`,
    );
  }
  if (!response.ok) {
    const detail = (await response.text().catch(() => "")).slice(0, 200);
    throw new Error(
      `the LLM endpoint ${url} answered ${response.status}${detail ? `: ${detail}` : ""} — check LAYERLAB_LLM_KEY and LAYERLAB_LLM_MODEL`,
    );
  }
  const data = (await response.json().catch(() => null)) as { choices?: { message?: { content?: unknown } }[] } | null;
  const content = data?.choices?.[0]?.message?.content;
  if (typeof content !== "string" || content.trim() === "") {
    throw new Error(`the LLM endpoint ${url} sent no message in choices[0].message.content — is it OpenAI-compatible?`);
  }
  return content.trim();
}
