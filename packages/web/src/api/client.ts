import type { DoctorFinding, ModelSpec, TestReport, TrainEvent, TrainingConfig } from "@layerlab/spec";

/*
 * Every HTTP call the studio makes, in one module, so adapting to the
 * server's API is one edit. Paths follow the issue: /api/runs, /api/datasets,
 * SSE at /api/runs/:id/events with Last-Event-ID replay. Field names are read
 * in camelCase or snake_case (the registry's columns), whichever the server sends.
 */

/** A run in the registry, as the runs table shows it. */
export interface RunSummary {
  id: string;
  name: string;
  status: "queued" | "running" | "succeeded" | "failed" | "aborted" | "diverged" | "interrupted";
  tags: string[];
  dataset: string;
  executor: "server" | "browser";
  modelKind: string;
  optimizer: string;
  batchSize: number;
  epochs: number;
  hiddenUnits: number[];
  dropout: number;
  learningRate: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  testAccuracy: number | null;
  testLoss: number | null;
  queuePosition: number | null;
  error: string | null;
}

/** A run with its spec and config. */
export interface RunDetail extends RunSummary {
  spec: ModelSpec;
  config: TrainingConfig;
}

/** A dataset the server offers. */
export interface DatasetSummary {
  id: string;
  name: string;
  shape: [number, number, number];
  classes: string[];
  trainCount: number;
  testCount: number;
  builtIn: boolean;
}

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

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, {
      ...init,
      headers: {
        ...(init.body && typeof init.body === "string" ? { "content-type": "application/json" } : {}),
        ...init.headers,
      },
    });
  } catch {
    throw new ApiError("the server cannot be reached — is `layerlab serve` running?", 0);
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { message?: string; error?: string };
      // The server's errors are `{error}`; keep `message` for other proxies.
      message = body.message ?? body.error ?? message;
    } catch {
      // Not JSON: keep the status line.
    }
    throw new ApiError(message, res.status);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

function pick<T>(o: Record<string, unknown>, camel: string, snake: string, fallback: T): T {
  return (o[camel] ?? o[snake] ?? fallback) as T;
}

function parseJsonish<T>(v: unknown, fallback: T): T {
  if (typeof v === "string") {
    try {
      return JSON.parse(v) as T;
    } catch {
      return fallback;
    }
  }
  return (v ?? fallback) as T;
}

/** Reads one run record whatever its field spelling. */
export function toRunSummary(o: Record<string, unknown>): RunSummary {
  // The server nests the latest metrics under `metrics`.
  const metrics = (o.metrics ?? {}) as Record<string, unknown>;
  const hidden = pick<unknown>(o, "hiddenUnits", "hidden_units", []);
  return {
    id: String(o.id),
    name: String(o.name ?? o.id),
    status: o.status as RunSummary["status"],
    tags: parseJsonish<string[]>(o.tags, []),
    dataset: String(o.dataset ?? ""),
    executor: (o.executor as RunSummary["executor"]) ?? "server",
    modelKind: pick(o, "modelKind", "model_kind", ""),
    optimizer: String(o.optimizer ?? ""),
    batchSize: pick(o, "batchSize", "batch_size", 0),
    epochs: Number(o.epochs ?? 0),
    hiddenUnits: typeof hidden === "string" ? hidden.split(",").filter(Boolean).map(Number) : (hidden as number[]),
    dropout: Number(o.dropout ?? 0),
    learningRate: pick(o, "learningRate", "learning_rate", 0),
    createdAt: pick(o, "createdAt", "created_at", 0),
    startedAt: pick(o, "startedAt", "started_at", null),
    finishedAt: pick(o, "finishedAt", "finished_at", null),
    testAccuracy:
      pick(o, "testAccuracy", "test_accuracy", null) ?? pick(metrics, "testAccuracy", "test_accuracy", null),
    testLoss: pick(o, "testLoss", "test_loss", null) ?? pick(metrics, "testLoss", "test_loss", null),
    queuePosition: pick(o, "queuePosition", "queue_position", null),
    error: (o.error as string | null) ?? null,
  };
}

function toDetail(o: Record<string, unknown>): RunDetail {
  return {
    ...toRunSummary(o),
    spec: parseJsonish(o.spec, {} as ModelSpec),
    config: parseJsonish(o.config, {} as TrainingConfig),
  };
}

function listOf(body: unknown, key: string): Record<string, unknown>[] {
  if (Array.isArray(body)) return body;
  const inner = (body as Record<string, unknown>)?.[key];
  return Array.isArray(inner) ? inner : [];
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

let llmCheck: Promise<boolean> | null = null;

/** Whether the server was started with an LLM endpoint for the doctor's explanations (asked once per page). */
export function llmAvailable(): Promise<boolean> {
  llmCheck ??= fetch(`${BASE}/health`)
    .then((res) => (res.ok ? (res.json() as Promise<{ llm?: unknown }>) : {}))
    .then((body) => (body as { llm?: unknown }).llm === true)
    .catch(() => false);
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
  const { text } = await call<{ text: string | null }>("/explain", {
    method: "POST",
    body: JSON.stringify({ findings: body }),
  });
  return text;
}

/** Every run in the registry. */
export async function listRuns(): Promise<RunSummary[]> {
  return listOf(await call("/runs"), "runs").map(toRunSummary);
}

/** One run with its spec and config. */
export async function getRun(id: string): Promise<RunDetail> {
  const body = await call<Record<string, unknown>>(`/runs/${encodeURIComponent(id)}`);
  return toDetail((body.run as Record<string, unknown>) ?? body);
}

/** Queues a run on the server's job queue (`ifExists: "new"`: the studio always starts a fresh run). */
export async function createRun(input: {
  name?: string;
  spec: unknown;
  config: unknown;
  dataset: string;
  limit?: number;
}): Promise<RunSummary> {
  const body = await call<Record<string, unknown>>("/runs", {
    method: "POST",
    body: JSON.stringify({ ...input, executor: "server", ifExists: "new" }),
  });
  return toRunSummary((body.run as Record<string, unknown>) ?? body);
}

/** Asks the server to stop a run. */
export function abortRun(id: string): Promise<void> {
  return call(`/runs/${encodeURIComponent(id)}/abort`, { method: "POST" });
}

/** Renames or retags a run. */
export function updateRun(id: string, patch: { name?: string; tags?: string[] }): Promise<void> {
  return call(`/runs/${encodeURIComponent(id)}`, { method: "PATCH", body: JSON.stringify(patch) });
}

/** Deletes a run and its files. */
export function deleteRun(id: string): Promise<void> {
  return call(`/runs/${encodeURIComponent(id)}`, { method: "DELETE" });
}

/** The URL of a run's artifact (weights.safetensors, metrics.csv, model.onnx, …). */
export function artifactUrl(id: string, name: string): string {
  return `${BASE}/runs/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(name)}`;
}

/** Fetches server run `id`'s test report (written by the runner when the run succeeds). */
export async function fetchTestReport(id: string): Promise<TestReport> {
  return call(`/runs/${encodeURIComponent(id)}/artifacts/test.json`);
}

/** The datasets the server offers. */
export async function listDatasets(): Promise<DatasetSummary[]> {
  const body = await call<Record<string, unknown>>("/datasets");
  const all = [...listOf(body, "builtin"), ...listOf(body, "imported"), ...listOf(body, "datasets")];
  return all.map((o) => ({
    id: String(o.id),
    name: String(o.title ?? o.name ?? o.id),
    shape: parseJsonish(o.shape, [1, 28, 28]),
    classes: parseJsonish(o.classes, []),
    trainCount: pick(o, "trainCount", "train_count", 0),
    testCount: pick(o, "testCount", "test_count", 0),
    builtIn: Boolean(o.builtin ?? o.builtIn ?? false),
  }));
}

/**
 * A dataset's images for in-browser training (see data/payload.ts for the
 * format); `split: "test"` downloads only the test split (to show a server run's predictions).
 */
export async function fetchDatasetData(id: string, split: "all" | "test" = "all"): Promise<ArrayBuffer> {
  const query = split === "test" ? "?split=test" : "";
  const res = await fetch(`${BASE}/datasets/${encodeURIComponent(id)}/data${query}`);
  if (!res.ok) throw new ApiError(`dataset '${id}' could not be downloaded (${res.status})`, res.status);
  return res.arrayBuffer();
}

/** Uploads a dataset ZIP with progress; resolves with the server's import report. */
export function uploadDataset(file: File, onProgress: (fraction: number) => void): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${BASE}/datasets`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // Keep the empty body; the status says enough.
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(String(body.message ?? `upload failed (${xhr.status})`), xhr.status));
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
  const source = new EventSource(`${BASE}/runs/${encodeURIComponent(id)}/events?after=${afterSeq}`);
  const handle = (m: MessageEvent) => {
    try {
      const event = JSON.parse(m.data) as TrainEvent;
      onEvent(event);
      if (["done", "aborted", "error", "diverged"].includes(event.type)) source.close();
    } catch {
      onError("the server sent an event this studio cannot read");
    }
  };
  source.onmessage = handle;
  // The server ends a finished stream with `end`; closing stops EventSource from reconnecting.
  source.addEventListener("end", () => source.close());
  for (const type of [
    "start",
    "batch",
    "epoch",
    "log",
    "checkpoint",
    "done",
    "aborted",
    "error",
    "diverged",
    "gradients",
  ]) {
    source.addEventListener(type, handle as EventListener);
  }
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) onError("the event stream closed");
  };
  return () => source.close();
}

/** Finished runs matching a registry query string (see draw/registryLookup.ts). */
export async function findRuns(params: URLSearchParams): Promise<RunSummary[]> {
  return listOf(await call(`/runs?${params.toString()}`), "runs").map(toRunSummary);
}

/** Class probabilities of server run `id` for a drawing (a PNG data URL); the server preprocesses it. */
export async function predictWithRun(
  id: string,
  image: string,
): Promise<{ classes: string[]; probabilities: number[] }> {
  return call(`/runs/${encodeURIComponent(id)}/predict`, { method: "POST", body: JSON.stringify({ image }) });
}
