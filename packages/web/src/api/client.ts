import {
  type CreateSweepBody,
  DatasetList,
  type DatasetUploaded,
  DatasetUploaded as DatasetUploadedSchema,
  EpochCheckpointList,
  EpochPredictions,
  ErrorBody,
  EventBatchAccepted,
  Explanation,
  Health,
  type IfExists,
  isTerminalEvent,
  Prediction,
  type RunDetail,
  RunDetail as RunDetailSchema,
  type RunListQuery,
  RunPage,
  type RunPatchBody,
  type RunSummary,
  RunView,
  SweepList,
  type SweepSummary,
  SweepView,
  TestPredictions,
  TRAIN_EVENT_TYPES,
} from "@layerlab/api";
import { type DoctorFinding, type TestReport, TrainEvent } from "@layerlab/spec";
import { z } from "zod";
import { authHeaders, withAccessToken } from "./access-token";

/*
 * Every HTTP call the studio makes, in one module. Requests and answers are
 * @layerlab/api's schemas, the ones the server validates and documents with
 * (/api/docs): an answer that does not match is an error naming the field, never a guess.
 */

export type {
  CreateSweepBody,
  IfExists,
  RunDetail,
  RunListQuery,
  RunPage,
  RunSummary,
  RunView,
  SweepSummary,
  SweepView,
};

/** A dataset the server offers, built in or imported. */
export type DatasetSummary = DatasetList["builtin"][number] | DatasetList["imported"][number];

/** A failed API call, with the server's message when it sent one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const BASE = "/api";

/** Sends a request; a non-2xx answer throws the server's `{error}` as an ApiError. */
async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, {
      ...init,
      headers: {
        ...authHeaders(),
        ...(init.body && typeof init.body === "string" ? { "content-type": "application/json" } : {}),
        ...init.headers,
      },
    });
  } catch {
    throw new ApiError("the server cannot be reached — is `layerlab serve` running?", 0);
  }
  if (!res.ok) {
    const body: unknown = await res.json().catch(() => null);
    throw new ApiError(errorOf(body) ?? `${res.status} ${res.statusText}`, res.status);
  }
  return res;
}

/** The answer of `path`, parsed with the API contract's `schema`. */
async function call<S extends z.ZodType>(schema: S, path: string, init: RequestInit = {}): Promise<z.output<S>> {
  const res = await request(path, init);
  return parseAnswer(schema, await res.json(), `${init.method ?? "GET"} ${BASE}${path}`);
}

/** Sends `path` for its effect; the answer's body is not read. */
async function send(path: string, init: RequestInit = {}): Promise<void> {
  await request(path, init);
}

/** The message of an error answer (`{error}`), when it is one. */
function errorOf(body: unknown): string | null {
  const parsed = ErrorBody.safeParse(body);
  return parsed.success ? parsed.data.error : null;
}

/** Any JSON, for files whose format is not the API's. */
const anyJson = z.unknown();

/** `body` parsed with `schema`, or an ApiError naming the field that does not match the API contract. */
function parseAnswer<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".") || "the body";
  throw new ApiError(`${what} answered something this studio cannot read: ${field}: ${issue.message}`, 0);
}

/** Whether a LayerLab server answers at this origin. */
export async function serverAvailable(): Promise<boolean> {
  try {
    const res = await fetch(`${BASE}/health`);
    // A static host answers unknown paths with index.html; only JSON means a LayerLab server.
    return res.ok && (res.headers.get("content-type") ?? "").includes("json");
  } catch {
    return false;
  }
}

/** The server's health: its queue, its database and the workers it has heard from. */
export function serverHealth(): Promise<Health> {
  return call(Health, "/health");
}

let llmCheck: Promise<boolean> | null = null;

/** Whether the server was started with an LLM endpoint for the doctor's explanations (asked once per page). */
export function llmAvailable(): Promise<boolean> {
  llmCheck ??= call(Health, "/health").then(
    (health) => health.llm,
    () => false,
  );
  return llmCheck;
}

/** The doctor's findings in plain words, from the server's LLM endpoint. */
export async function explainFindings(findings: readonly DoctorFinding[]): Promise<string | null> {
  const body = findings.map(({ id, severity, title, evidence, suggestion }) => ({
    id,
    severity,
    title,
    evidence,
    suggestion,
  }));
  const { text } = await call(Explanation, "/explain", {
    method: "POST",
    body: JSON.stringify({ findings: body }),
  });
  return text;
}

/** One page of the registry's runs matching `query`; the server filters, sorts and pages. */
export async function listRunPage(query: RunListQuery = {}): Promise<RunPage> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  return call(RunPage, `/runs?${params.toString()}`);
}

/** The registry's runs matching `query`, its first page only (100 unless `limit` says otherwise). */
export async function listRuns(query: RunListQuery = {}): Promise<RunSummary[]> {
  return (await listRunPage(query)).runs;
}

/** One run with its spec, config, per-epoch metrics and artifacts. */
export async function getRun(id: string): Promise<RunDetail> {
  return call(RunDetailSchema, `/runs/${encodeURIComponent(id)}`);
}

/** Queues a run on the server's job queue (`ifExists: "new"`: the studio always starts a fresh run). */
export async function createRun(input: {
  name?: string;
  spec: unknown;
  config: unknown;
  dataset: string;
  limit?: number;
}): Promise<RunView> {
  return call(RunView, "/runs", {
    method: "POST",
    body: JSON.stringify({ ...input, executor: "server", ifExists: "new" }),
  });
}

/** Asks the server to stop a run. */
export function abortRun(id: string): Promise<void> {
  return send(`/runs/${encodeURIComponent(id)}/abort`, { method: "POST" });
}

/** Renames or retags a run. */
export function updateRun(id: string, patch: RunPatchBody): Promise<void> {
  return send(`/runs/${encodeURIComponent(id)}`, { method: "PATCH", body: JSON.stringify(patch) });
}

/** Deletes a run and its files. */
export function deleteRun(id: string): Promise<void> {
  return send(`/runs/${encodeURIComponent(id)}`, { method: "DELETE" });
}

/** The URL of a run's artifact (weights.safetensors, metrics.csv, model.onnx, …). */
export function artifactUrl(id: string, name: string): string {
  // Also a download link's href, which cannot carry a header: the token rides in the query.
  return withAccessToken(`${BASE}/runs/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(name)}`);
}

/** Fetches server run `id`'s test report (written by the runner when the run succeeds). */
export async function fetchTestReport(id: string): Promise<TestReport> {
  // test.json is the runner's file, described by @layerlab/spec's TestReport type rather than by the API.
  return call(anyJson as z.ZodType<TestReport>, `/runs/${encodeURIComponent(id)}/artifacts/test.json`);
}

/**
 * Server run `id`'s predicted class of every test image: recorded by its test
 * evaluation, or (for a run older than that record) evaluated on its saved weights by the server.
 */
export async function fetchTestPredictions(id: string): Promise<TestPredictions> {
  return call(TestPredictions, `/runs/${encodeURIComponent(id)}/test-predictions`);
}

/** The datasets the server offers: built-ins first, then imported ones. */
export async function listDatasets(): Promise<DatasetSummary[]> {
  const { builtin, imported } = await call(DatasetList, "/datasets");
  return [...builtin, ...imported];
}

/**
 * A dataset's images for in-browser training (see data/payload.ts for the
 * format); `split: "test"` downloads only the test split (to show a server run's predictions).
 */
export async function fetchDatasetData(id: string, split: "all" | "test" = "all"): Promise<ArrayBuffer> {
  const query = split === "test" ? "?split=test" : "";
  const res = await fetch(`${BASE}/datasets/${encodeURIComponent(id)}/data${query}`, { headers: authHeaders() });
  if (!res.ok) {
    // The server's `{error}` says why (e.g. CIFAR-10 not installed, and where to put its files).
    const body: unknown = await res.json().catch(() => null);
    throw new ApiError(errorOf(body) ?? `dataset '${id}' could not be downloaded (${res.status})`, res.status);
  }
  return res.arrayBuffer();
}

/** Uploads a dataset ZIP with progress; resolves with the server's import report. */
export function uploadDataset(file: File, onProgress: (fraction: number) => void): Promise<DatasetUploaded> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${BASE}/datasets`);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body: unknown = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // Keep the empty body; the status says enough.
      }
      try {
        if (xhr.status >= 200 && xhr.status < 300)
          resolve(parseAnswer(DatasetUploadedSchema, body, `POST ${BASE}/datasets`));
        else reject(new ApiError(errorOf(body) ?? `upload failed (${xhr.status})`, xhr.status));
      } catch (err) {
        reject(err);
      }
    };
    xhr.onerror = () => reject(new ApiError("the upload was interrupted — check the connection and try again", 0));
    const form = new FormData();
    // The file's name (without .zip) names the dataset, as the user knows it.
    form.append("name", file.name.replace(/\.zip$/i, ""));
    form.append("file", file);
    xhr.send(form);
  });
}

/**
 * Follows a run's events over SSE. EventSource sends Last-Event-ID itself on
 * reconnect; after a page reload, `afterSeq` asks the server to replay from
 * there, so nothing is missed. Returns a function that closes the stream.
 */
export function followRunEvents(
  id: string,
  afterSeq: number,
  onEvent: (e: TrainEvent) => void,
  onError: (message: string) => void,
): () => void {
  const source = new EventSource(withAccessToken(`${BASE}/runs/${encodeURIComponent(id)}/events?after=${afterSeq}`));
  const handle = (m: MessageEvent) => {
    try {
      const event = TrainEvent.parse(JSON.parse(m.data));
      onEvent(event);
      if (isTerminalEvent(event)) source.close();
    } catch {
      onError("the server sent an event this studio cannot read");
    }
  };
  source.onmessage = handle;
  // The server ends a finished stream with `end`; closing stops EventSource from reconnecting.
  source.addEventListener("end", () => source.close());
  for (const type of TRAIN_EVENT_TYPES) {
    source.addEventListener(type, handle as EventListener);
  }
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) onError("the event stream closed");
  };
  return () => source.close();
}

/** Finished runs matching a registry query string (see draw/registryLookup.ts). */
export async function findRuns(params: URLSearchParams): Promise<RunSummary[]> {
  return (await call(RunPage, `/runs?${params.toString()}`)).runs;
}

/** Class probabilities of server run `id` for a drawing (a PNG data URL); the server preprocesses it. */
export async function predictWithRun(id: string, image: string): Promise<Prediction> {
  return call(Prediction, `/runs/${encodeURIComponent(id)}/predict`, {
    method: "POST",
    body: JSON.stringify({ image }),
  });
}

// ─── Run registration, duplicates and resume (browser runs in the registry) ───
// Kept in one block so the contract conversion can move it as a whole.

/** How POST /api/runs settled a create: a new run, an existing one reused, or a duplicate the caller must decide on. */
export type CreateOutcome =
  | { kind: "created"; run: RunView }
  | { kind: "reused"; run: RunView }
  | { kind: "duplicate"; run: RunView };

/**
 * Creates a run for the server's queue (`executor: "server"`) or for this
 * browser to train and report (`executor: "browser"`). Without `ifExists`
 * a duplicate configuration comes back as `{kind: "duplicate", run}` and nothing is created.
 */
export async function createRunOrFindDuplicate(input: {
  spec: unknown;
  config: unknown;
  dataset: string;
  executor: "server" | "browser";
  limit?: number;
  name?: string;
  ifExists?: IfExists;
}): Promise<CreateOutcome> {
  // Without a choice the server is asked to answer the run the configuration has (reuse: 200, nothing created),
  // not to refuse with a 409: a duplicate is an expected answer here, and browsers log a refusal as a failed request.
  const res = await request("/runs", {
    method: "POST",
    body: JSON.stringify({ ...input, ifExists: input.ifExists ?? "reuse" }),
  });
  const run = parseAnswer(RunView, await res.json(), `POST ${BASE}/runs`);
  if (res.status !== 200) return { kind: "created", run };
  return { kind: input.ifExists ? "reused" : "duplicate", run };
}

/**
 * Resumes an interrupted, aborted or failed run from its last checkpoint: a server run is queued again; a
 * browser run is marked queued, and the browser that resumes it trains it on (its start event makes it running).
 */
export async function resumeServerRun(id: string): Promise<RunView> {
  return call(RunView, `/runs/${encodeURIComponent(id)}/resume`, { method: "POST" });
}

/** Marks browser run `id`, whose page is gone, interrupted (so that it can be resumed). */
export async function interruptBrowserRun(id: string): Promise<RunView> {
  return call(RunView, `/runs/${encodeURIComponent(id)}/interrupt`, { method: "POST" });
}

/** The bytes of run `id`'s file `name` (e.g. its resume point, optimizer.safetensors). */
export async function fetchRunFile(id: string, name: string): Promise<Uint8Array> {
  const path = `/runs/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(name)}`;
  return new Uint8Array(await (await request(path)).arrayBuffer());
}

/** The highest event seq the registry holds for run `id`, -1 when it has none (read from its event history). */
export async function lastRecordedSeq(id: string): Promise<number> {
  const text = await (await request(`/runs/${encodeURIComponent(id)}/events?mode=history`)).text();
  let last = -1;
  for (const m of text.matchAll(/^id: (\d+)$/gm)) last = Math.max(last, Number(m[1]));
  return last;
}

/** Appends a batch of a browser run's events to the registry (seqs already stored are skipped there). */
export async function postRunEvents(id: string, events: readonly TrainEvent[]): Promise<void> {
  await call(EventBatchAccepted, `/runs/${encodeURIComponent(id)}/events`, {
    method: "POST",
    body: JSON.stringify({ events }),
  });
}

/** Uploads one of a browser run's files (weights.safetensors, normalization.json, metrics.json/csv, test.json). */
export async function uploadRunArtifact(id: string, name: string, bytes: Uint8Array | string): Promise<void> {
  const res = await fetch(artifactUrl(id, name), {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: typeof bytes === "string" ? bytes : new Blob([bytes as Uint8Array<ArrayBuffer>]),
  });
  if (!res.ok) {
    const body: unknown = await res.json().catch(() => ({}));
    throw new ApiError(errorOf(body) ?? `${name} was refused (${res.status})`, res.status);
  }
}
// ─── end of run registration block ───

// ─── Sweeps: one or two settings varied over runs from one seed, listed, opened, stopped and deleted as one ───

/** 400 of POST /api/sweeps: why the grid cannot run, one problem per cell or axis. */
const SweepRefused = ErrorBody.extend({ problems: z.array(z.string()).optional() });

/** Queues a sweep on the server (`executor: "server"`) or registers its runs for this browser to train (`"browser"`). */
export async function createSweep(body: CreateSweepBody): Promise<SweepView> {
  let res: Response;
  try {
    res = await fetch(`${BASE}/sweeps`, {
      method: "POST",
      headers: { ...authHeaders(), "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError("the server cannot be reached — is `layerlab serve` running?", 0);
  }
  const answer: unknown = await res.json().catch(() => ({}));
  if (!res.ok) {
    const refused = SweepRefused.safeParse(answer);
    const message = refused.success
      ? [refused.data.error, ...(refused.data.problems ?? [])].join("; ")
      : `${res.status} ${res.statusText}`;
    throw new ApiError(message, res.status);
  }
  return parseAnswer(SweepView, answer, `POST ${BASE}/sweeps`);
}

/** Every sweep the registry holds, newest first. */
export async function listSweeps(): Promise<SweepSummary[]> {
  return (await call(SweepList, "/sweeps")).sweeps;
}

/** A sweep with its runs in grid order, their scores and what they say. */
export function getSweep(id: string): Promise<SweepView> {
  return call(SweepView, `/sweeps/${encodeURIComponent(id)}`);
}

/** Stops every queued or running run of a sweep. */
export function abortSweep(id: string): Promise<SweepView> {
  return call(SweepView, `/sweeps/${encodeURIComponent(id)}/abort`, { method: "POST" });
}

/** Deletes a sweep and every run of it, with their files. */
export function deleteSweep(id: string): Promise<void> {
  return send(`/sweeps/${encodeURIComponent(id)}`, { method: "DELETE" });
}

/** The address of a sweep's report (a self-contained HTML page). */
export function sweepReportUrl(id: string): string {
  // A link's href cannot carry a header: the token rides in the query.
  return withAccessToken(`${BASE}/sweeps/${encodeURIComponent(id)}/report`);
}

// ─── epoch scrubber ───

/** The epochs server run `id` keeps the weights of, and the test images followed across them. */
export function fetchEpochList(id: string): Promise<EpochCheckpointList> {
  return call(EpochCheckpointList, `/runs/${encodeURIComponent(id)}/epochs`);
}

/** What server run `id`'s model of epoch `epoch` predicts for the followed test images, and its confusion matrix. */
export function fetchEpochPredictions(id: string, epoch: number): Promise<EpochPredictions> {
  return call(EpochPredictions, `/runs/${encodeURIComponent(id)}/epochs/${epoch}`);
}

/** The safetensors weights of server run `id`'s epoch `epoch`. */
export async function fetchEpochWeights(id: string, epoch: number): Promise<Uint8Array> {
  return new Uint8Array(await (await request(`/runs/${encodeURIComponent(id)}/epochs/${epoch}/weights`)).arrayBuffer());
}
