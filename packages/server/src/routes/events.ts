import { TrainEvent } from "@layerlab/spec";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { applyEvents } from "../events/apply-events";
import { streamRunEvents } from "../events/live-stream";
import { found, HttpError } from "../http-error";
import { isRunId } from "../runs/run-files";

const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", maxLength: 64 } },
} as const;

/** Parses a Last-Event-ID / `after` value: a seq, or -1 for "from the start". */
function parseAfter(value: unknown): number {
  if (value === undefined || value === null || value === "") return -1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1)
    throw new HttpError(400, `Last-Event-ID must be an event seq, got ${String(value)}`);
  return n;
}

const EventBatch = z.object({ events: z.array(TrainEvent).min(1).max(5000) });

/** Live events: SSE, WebSocket, and the browser's event upload. */
export async function eventRoutes(app: FastifyInstance): Promise<void> {
  const runOr404 = async (id: string) => found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);

  app.get<{ Params: { id: string }; Querystring: { after?: string; mode?: "live" | "history" } }>(
    "/api/runs/:id/events",
    {
      schema: {
        summary: "Server-Sent Events of a run (id = seq); resumes after Last-Event-ID; mode=history replays and closes",
        params: idParams,
        querystring: {
          type: "object",
          properties: { after: { type: "string" }, mode: { type: "string", enum: ["live", "history"] } },
        },
      },
    },
    async (req, reply) => {
      await runOr404(req.params.id);
      const afterSeq = parseAfter(req.headers["last-event-id"] ?? req.query.after);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      raw.write("retry: 1000\n\n");
      const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), 15_000);
      const stop = await streamRunEvents({
        registry: app.registry,
        hub: app.hub,
        runId: req.params.id,
        afterSeq,
        historyOnly: req.query.mode === "history",
        send: (e) => raw.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`),
        end: () => {
          clearInterval(heartbeat);
          raw.end("event: end\ndata: {}\n\n");
        },
      });
      raw.on("close", () => {
        clearInterval(heartbeat);
        stop();
      });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { after?: string } }>(
    "/api/runs/:id/ws",
    {
      websocket: true,
      schema: { summary: 'WebSocket of a run\'s events; send {"type":"abort"} to stop it', params: idParams },
    },
    async (socket, req) => {
      const run = isRunId(req.params.id) ? await app.registry.getRun(req.params.id) : undefined;
      if (!run) {
        socket.send(JSON.stringify({ type: "error", message: `run ${req.params.id} does not exist` }));
        socket.close(4404, "no such run");
        return;
      }
      socket.on("message", (data) => {
        let message: { type?: unknown };
        try {
          message = JSON.parse(data.toString());
        } catch {
          socket.send(JSON.stringify({ type: "error", message: 'messages must be JSON, e.g. {"type":"abort"}' }));
          return;
        }
        if (message.type === "abort") {
          void (async () => {
            const known = await app.jobs.abort(run.id);
            if (!known) {
              await app.registry.transitionRun(run.id, ["queued", "running"], "aborted", {
                finished_at: Date.now(),
                error: "aborted by user",
              });
            }
          })();
        } else {
          socket.send(JSON.stringify({ type: "error", message: 'unknown message; the only one is {"type":"abort"}' }));
        }
      });
      let afterSeq = -1;
      try {
        afterSeq = parseAfter(req.query.after);
      } catch {}
      const stop = await streamRunEvents({
        registry: app.registry,
        hub: app.hub,
        runId: run.id,
        afterSeq,
        historyOnly: false,
        send: (e) => socket.send(JSON.stringify(e)),
        end: () => socket.close(1000, "run finished"),
      });
      socket.on("close", stop);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/api/runs/:id/events",
    { schema: { summary: "Append a batch of events of a browser-trained run", params: idParams } },
    async (req, reply) => {
      const run = await runOr404(req.params.id);
      if (run.executor !== "browser")
        throw new HttpError(409, "only browser runs accept posted events; the server writes its own");
      const parsed = EventBatch.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new HttpError(400, `events${issue.path.map((p) => `[${String(p)}]`).join("")}: ${issue.message}`);
      }
      const events = [...parsed.data.events].sort((a, b) => a.seq - b.seq);
      const last = await app.registry.lastEventSeq(run.id);
      if (!["queued", "running"].includes(run.status)) {
        throw new HttpError(409, `run ${run.id} is ${run.status}; it takes no more events`);
      }
      // Retried batches are fine: seqs already stored are skipped.
      const fresh = events.filter((e) => e.seq > last);
      await applyEvents(app.registry, app.hub, run.id, fresh);
      return reply.code(202).send({ accepted: fresh.length, lastSeq: Math.max(last, ...fresh.map((e) => e.seq)) });
    },
  );
}
