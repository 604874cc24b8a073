import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../src/app";
import { loadServerConfig, type ServerConfig } from "../src/config";
import { databaseUrlFor, dropDatabaseFor } from "./postgres/database";

/**
 * A real server on a random 127.0.0.1 port with its own DATA_DIR and
 * registry: a SQLite file there, or its own PostgreSQL database when the file
 * runs in the "postgres" project.
 */
export interface TestServer {
  app: FastifyInstance;
  url: string;
  dataDir: string;
  config: ServerConfig;
  close(): Promise<void>;
}

/** Starts a test server; `env` adds to a minimal environment. */
export async function startTestServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "layerlab-server-"));
  const databaseUrl = await databaseUrlFor(dir);
  const config = loadServerConfig({
    DATA_DIR: dir,
    PORT: "0",
    WEB_DIR: join(dir, "no-web"),
    ...(databaseUrl && { DATABASE_URL: databaseUrl }),
    ...env,
  });
  const app = await buildApp({ config });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    app,
    url,
    dataDir: dir,
    config,
    close: async () => {
      // A keep-alive connection that was still finishing its last response when close() began is not
      // idle yet, so close() alone would wait for Fastify's 72 s keep-alive timeout: keep sweeping.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      if (!dataDir) {
        rmSync(dir, { recursive: true, force: true });
        await dropDatabaseFor(dir);
      }
    },
  };
}

/** JSON request helper over the real socket. */
export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

/** A parsed SSE message. */
export interface SseMessage {
  id: number | null;
  event: string;
  data: any;
}

/**
 * Reads an SSE stream until `until` says stop or the stream ends; with
 * `lastEventId` it sends Last-Event-ID like a reconnecting EventSource.
 */
export async function readSse(
  url: string,
  opts: { lastEventId?: number; until?: (m: SseMessage[]) => boolean } = {},
): Promise<SseMessage[]> {
  const controller = new AbortController();
  const headers: Record<string, string> = {};
  if (opts.lastEventId !== undefined) headers["last-event-id"] = String(opts.lastEventId);
  const res = await fetch(url, { headers, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`SSE ${url} answered ${res.status}`);
  const messages: SseMessage[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut = buffer.indexOf("\n\n");
      while (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        cut = buffer.indexOf("\n\n");
        const lines = block.split("\n");
        const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
        if (data.length === 0) continue;
        const id = lines.find((l) => l.startsWith("id: "));
        const event = lines.find((l) => l.startsWith("event: "));
        messages.push({
          id: id ? Number(id.slice(4)) : null,
          event: event ? event.slice(7) : "message",
          data: JSON.parse(data.join("\n")),
        });
        if (opts.until?.(messages)) {
          controller.abort();
          return messages;
        }
      }
    }
  } catch (err) {
    if ((err as Error).name !== "AbortError") throw err;
  }
  return messages;
}

/** Polls a run until its status is one of `statuses`. */
export async function waitForStatus(base: string, id: string, statuses: string[], timeoutMs = 120_000): Promise<any> {
  const start = Date.now();
  for (;;) {
    const { body } = await api(base, "GET", `/api/runs/${id}`);
    if (statuses.includes(body.status)) return body;
    if (Date.now() - start > timeoutMs) throw new Error(`run ${id} stayed ${body.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A small, fast server run on the synthetic shapes. */
export const SMALL_RUN = {
  template: "mlp",
  dataset: "shapes",
  executor: "server",
  limit: 200,
  config: { epochs: 2, batchSize: 32 },
} as const;
