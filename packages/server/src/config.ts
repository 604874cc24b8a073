import { resolve } from "node:path";
import type { LlmEnv } from "@layerlab/report";

/** Everything the server reads from its environment. */
export interface ServerConfig {
  host: string;
  port: number;
  /** Absolute path of the folder holding the registry, run folders and datasets. */
  dataDir: string;
  /** Bearer token every API call must carry; null when none is required. */
  token: string | null;
  /** Largest accepted upload, in bytes. */
  maxUploadBytes: number;
  /** An upload that sends no byte for this long is refused with 408 (UPLOAD_IDLE_TIMEOUT_S, default 30 s). */
  uploadIdleTimeoutMs: number;
  /** Runs the server trains itself at once; 0 (PostgreSQL only) leaves every run to `layerlab worker`s. */
  maxConcurrentJobs: number;
  /** How long a worker may stay silent before its runs go back to the queue (WORKER_LEASE_S, default 60 s). */
  workerLeaseMs: number;
  /** Folder of the web app's build served at `/`; null when there is none. */
  webDir: string | null;
  /** The OpenAI-compatible endpoint that explains the doctor's findings; null (the default) turns explanations off. */
  llm: LlmEnv | null;
  /** Host names besides the bound address and loopback that requests may be addressed to (ALLOWED_HOSTS). */
  allowedHosts: string[];
  /** Origins besides the server's own whose pages may change state (ALLOWED_ORIGINS). */
  allowedOrigins: string[];
  /** Where CIFAR-10 is downloaded from on first use (CIFAR10_URL; the official address when unset). */
  cifar10Url?: string;
  /** PostgreSQL holding the registry (DATABASE_URL); null: SQLite under dataDir. */
  databaseUrl: string | null;
}

/** A configuration the server refuses to start with; the message names the variable and the fix. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Whether `host` can only be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A comma-separated list variable, trimmed, empty entries dropped. */
function listOf(env: Record<string, string | undefined>, name: string): string[] {
  return (env[name] ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** ALLOWED_ORIGINS entries must be origins (`https://host[:port]`), not URLs with paths or bare names. */
function originsOf(env: Record<string, string | undefined>): string[] {
  const origins = listOf(env, "ALLOWED_ORIGINS");
  for (const origin of origins) {
    const ok = URL.canParse(origin) && new URL(origin).origin === origin.replace(/\/$/, "").toLowerCase();
    if (!ok) {
      throw new ConfigError(
        `ALLOWED_ORIGINS entry ${JSON.stringify(origin)} is not an origin; write scheme://host[:port], e.g. https://studio.example.org`,
      );
    }
  }
  return origins;
}

/** DATABASE_URL must name PostgreSQL: the only database besides the embedded SQLite file. */
function databaseUrlOf(env: Record<string, string | undefined>): string | null {
  const url = env.DATABASE_URL?.trim();
  if (!url) return null;
  if (!URL.canParse(url) || !/^postgres(ql)?:$/.test(new URL(url).protocol)) {
    throw new ConfigError(
      `DATABASE_URL=${JSON.stringify(url.replace(/\/\/[^@/]*@/, "//…@"))} is not a PostgreSQL URL; write postgres://user:password@host:5432/database, or unset it to keep the registry in SQLite under DATA_DIR`,
    );
  }
  return url;
}

function positiveInt(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  max: number,
  min = 1,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}; fix or unset it`,
    );
  }
  return n;
}

/** MAX_CONCURRENT_JOBS; 0 means "workers train everything", which only a PostgreSQL registry has. */
function maxConcurrentJobsOf(env: Record<string, string | undefined>, databaseUrl: string | null): number {
  const n = positiveInt(env, "MAX_CONCURRENT_JOBS", 1, 64, 0);
  if (n === 0 && databaseUrl === null) {
    throw new ConfigError(
      "MAX_CONCURRENT_JOBS=0 leaves server runs to `layerlab worker`s, which need DATABASE_URL (a PostgreSQL registry); set DATABASE_URL or a MAX_CONCURRENT_JOBS of 1 or more",
    );
  }
  return n;
}

/**
 * Reads HOST, PORT, DATA_DIR, LAYERLAB_TOKEN, MAX_UPLOAD_MB, UPLOAD_IDLE_TIMEOUT_S, MAX_CONCURRENT_JOBS,
 * WEB_DIR, ALLOWED_HOSTS, ALLOWED_ORIGINS, CIFAR10_URL, DATABASE_URL, WORKER_LEASE_S and the LAYERLAB_LLM_* variables; throws a ConfigError naming the variable when one is wrong, and
 * when the server would listen beyond loopback without a token.
 */
export function loadServerConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const host = env.HOST?.trim() || "127.0.0.1";
  const portRaw = env.PORT;
  const port = portRaw === undefined || portRaw === "" ? 3000 : Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT=${JSON.stringify(portRaw)} is not a port number (0–65535); fix or unset it`);
  }
  const token = env.LAYERLAB_TOKEN?.trim() || null;
  if (token === null && !isLoopbackHost(host)) {
    throw new ConfigError(
      `HOST=${host} makes the server reachable from other machines, so LAYERLAB_TOKEN must be set (e.g. LAYERLAB_TOKEN=$(openssl rand -hex 24)); or bind to 127.0.0.1`,
    );
  }
  if (token !== null && token.length < 16) {
    throw new ConfigError("LAYERLAB_TOKEN is shorter than 16 characters; use a long random value");
  }
  return {
    host,
    port,
    dataDir: resolve(env.DATA_DIR?.trim() || "./data"),
    token,
    maxUploadBytes: positiveInt(env, "MAX_UPLOAD_MB", 512, 1_000_000) * 1024 * 1024,
    uploadIdleTimeoutMs: positiveInt(env, "UPLOAD_IDLE_TIMEOUT_S", 30, 3600) * 1000,
    maxConcurrentJobs: maxConcurrentJobsOf(env, databaseUrlOf(env)),
    workerLeaseMs: positiveInt(env, "WORKER_LEASE_S", 60, 3600, 2) * 1000,
    webDir: env.WEB_DIR?.trim() ? resolve(env.WEB_DIR.trim()) : null,
    llm: llmEnv(env),
    allowedHosts: listOf(env, "ALLOWED_HOSTS"),
    allowedOrigins: originsOf(env),
    ...(env.CIFAR10_URL?.trim() && { cifar10Url: env.CIFAR10_URL.trim() }),
    databaseUrl: databaseUrlOf(env),
  };
}

/** LAYERLAB_LLM_URL (an http(s) URL), LAYERLAB_LLM_MODEL and LAYERLAB_LLM_KEY; null when no URL is set. */
function llmEnv(env: Record<string, string | undefined>): LlmEnv | null {
  const url = env.LAYERLAB_LLM_URL?.trim();
  if (!url) return null;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new ConfigError(
      `LAYERLAB_LLM_URL=${JSON.stringify(url)} is not an http(s) URL of an OpenAI-compatible API (e.g. http://127.0.0.1:8080/v1); fix or unset it`,
    );
  }
  const llm: LlmEnv = { LAYERLAB_LLM_URL: url };
  if (env.LAYERLAB_LLM_MODEL?.trim()) llm.LAYERLAB_LLM_MODEL = env.LAYERLAB_LLM_MODEL.trim();
  if (env.LAYERLAB_LLM_KEY?.trim()) llm.LAYERLAB_LLM_KEY = env.LAYERLAB_LLM_KEY.trim();
  return llm;
}
