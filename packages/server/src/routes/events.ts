import {
  ErrorBody,
  EVENT_STREAM_DESCRIPTION,
  EventBatchAccepted,
  EventBatchBody,
  EventStreamQuery,
  eventSeqProblem,
  LEASE_HEADER,
  RunIdParams,
  WEBSOCKET_DESCRIPTION,
} from "@layerlab/api";
import { TrainEvent } from "@layerlab/spec";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { applyEvents, STATUS_AFTER } from "../events/apply-events";
import { streamRunEvents } from "../events/live-stream";
import { found, HttpError } from "../http-error";
import { isRunId } from "../runs/run-files";

/** The claim's lease a worker sends with the uploads of a run it trains. */
export function leaseOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers[LEASE_HEADER];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Parses a Last-Event-ID / `after` value: a seq, or -1 for "from the start". */
function parseAfter(value: unknown): number {
  if (value === undefined || value === null || value === "") return -1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1)
    throw new HttpError(400, `Last-Event-ID must be an event seq, got ${String(value)}`);
  return n;
}

/** A posted batch's first problem, e.g. `events[2].testAccuracy is 1e+300: an accuracy is a fraction in [0, 1]`. */
function eventIssue(body: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
  let value: unknown = body;
  for (const p of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[p];
  const shown = typeof value === "number" || typeof value === "boolean" ? ` is ${value}` : "";
  return `${path || "body"}${shown}: ${issue.message}`;
}

/** Live events: SSE, WebSocket, and the browser's event upload. */
export async function eventRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const runOr404 = async (id: string) => found(isRunId(id) ? await app.registry.getRun(id) : undefined, `run ${id}`);

  app.get(
    "/api/runs/:id/events",
    {
      schema: {
        summary: "Server-Sent Events of a run (id = seq); resumes after Last-Event-ID; mode=history replays and closes",
        description: EVENT_STREAM_DESCRIPTION,
        params: RunIdParams,
        querystring: EventStreamQuery,
        produces: ["text/event-stream"],
        response: {
          200: { description: "The run's events", content: { "text/event-stream": { schema: TrainEvent } } },
          "4xx": ErrorBody,
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

  app.get(
    "/api/runs/:id/ws",
    {
      websocket: true,
      schema: {
        summary: 'WebSocket of a run\'s events; send {"type":"abort"} to stop it',
        description: WEBSOCKET_DESCRIPTION,
        params: RunIdParams,
        querystring: EventStreamQuery.pick({ after: true }),
      },
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

  app.post(
    "/api/runs/:id/events",
    {
      schema: {
        summary: "Append a batch of events of a browser-trained run",
        params: RunIdParams,
        body: EventBatchBody,
        response: { 202: EventBatchAccepted, "4xx": ErrorBody },
      },
      // A bad batch is answered with the event's path and value, worded below, once the run is known to take events.
      attachValidation: true,
    },
    async (req, reply) => {
      const run = await runOr404(req.params.id);
      const lease = leaseOf(req.headers);
      if (run.executor === "server") {
        // A server run that a `layerlab worker` trains: only its current holder posts.
        await app.workers.runHeldBy(run.id, lease);
      } else if (run.executor !== "browser") {
        throw new HttpError(409, `run ${run.id} was imported; it takes no events`);
      }
      if (req.validationError) {
        const issue = EventBatchBody.safeParse(req.body).error?.issues[0];
        const problem = issue ? eventIssue(req.body, issue) : req.validationError.message;
        throw new HttpError(400, `${problem}; nothing of this batch was stored`);
      }
      const events = [...req.body.events].sort((a, b) => a.seq - b.seq);
      const last = await app.registry.lastEventSeq(run.id);
      if (!["queued", "running"].includes(run.status)) {
        if (run.executor === "server" && lease && events.every((e) => e.seq <= last)) {
          // A worker's retry of the batch that ended the run, whose answer a server restart swallowed:
          // stored already, so only the claim may still need closing.
          await app.workers.ended(run.id, lease);
          return reply.code(202).send({ accepted: 0, lastSeq: last });
        }
        throw new HttpError(409, `run ${run.id} is ${run.status}; it takes no more events`);
      }
      // Retried batches are fine: seqs already stored are skipped. New ones must continue the sequence,
      // or one far-off seq would make every later event look like a replay to the server and to every page.
      const seqProblem = eventSeqProblem(last, req.body.events);
      if (seqProblem) throw new HttpError(400, `${seqProblem}; nothing of this batch was stored`);
      const fresh = events.filter((e) => e.seq > last);
      await applyEvents(app.registry, app.hub, run.id, fresh);
      if (run.executor === "server" && lease && fresh.some((e) => STATUS_AFTER[e.type])) {
        await app.workers.ended(run.id, lease);
      }
      return reply.code(202).send({ accepted: fresh.length, lastSeq: Math.max(last, ...fresh.map((e) => e.seq)) });
    },
  );
}
