import { TERMINAL_EVENT_TYPES, TrainEvent, type TrainEventType } from "@layerlab/spec";
import { z } from "zod";

/** Every event type, as the SSE stream names its events (`event: epoch`). */
export const TRAIN_EVENT_TYPES: readonly TrainEventType[] = TrainEvent.options.map((o) => o.shape.type.value);

/** Whether a run sends nothing after `event`. */
export function isTerminalEvent(event: Pick<TrainEvent, "type">): boolean {
  return TERMINAL_EVENT_TYPES.includes(event.type);
}

/** Most events one POST may carry. */
export const MAX_EVENT_BATCH = 5000;

/** POST /api/runs/:id/events: a browser run's events, continuing the run's sequence. */
export const EventBatchBody = z.object({ events: z.array(TrainEvent).min(1).max(MAX_EVENT_BATCH) }).meta({
  description:
    "Each seq is an integer greater than the run's last stored seq and at most last + the batch's length; seqs already stored are skipped, so a retried batch is harmless",
});
export type EventBatchBody = z.infer<typeof EventBatchBody>;

/** 202 of POST /api/runs/:id/events. */
export const EventBatchAccepted = z.object({
  accepted: z.number().int().meta({ description: "Events stored (a retry's already-stored ones are not counted)" }),
  lastSeq: z.number().int().meta({ description: "The run's last stored seq after this batch" }),
});
export type EventBatchAccepted = z.infer<typeof EventBatchAccepted>;

/**
 * What is wrong with the seqs of a posted batch, or null. Seqs at or below the run's last
 * stored seq `lastSeq` (-1 before any) are a retry's and are skipped; the n new ones must
 * continue the sequence: each above lastSeq and at most lastSeq + n (gaps are allowed), and
 * no two alike. So one far-off seq can never put the run's sequence out of reach of later events.
 */
export function eventSeqProblem(lastSeq: number, events: readonly Pick<TrainEvent, "seq">[]): string | null {
  const fresh = events.filter((e) => e.seq > lastSeq).length;
  const limit = lastSeq + fresh;
  const seen = new Set<number>();
  for (const [i, e] of events.entries()) {
    if (e.seq <= lastSeq) continue;
    if (e.seq > limit) {
      return `events[${i}].seq is ${e.seq}, but this run's last stored seq is ${lastSeq} and the batch has ${fresh} new event${fresh === 1 ? "" : "s"}, so seqs may reach ${limit} at most; number events on from ${lastSeq + 1}`;
    }
    if (seen.has(e.seq)) return `events[${i}].seq ${e.seq} appears twice in the batch; give each event its own seq`;
    seen.add(e.seq);
  }
  return null;
}

/** GET /api/runs/:id/events (Server-Sent Events). */
export const EventStreamQuery = z.object({
  after: z
    .string()
    .optional()
    .meta({ description: "Replay from after this seq (Last-Event-ID wins when both are sent)" }),
  mode: z
    .enum(["live", "history"])
    .optional()
    .meta({ description: "history: replay what is stored and close; live (default): then follow" }),
});

/** What the WebSocket of a run accepts from a client. */
export const WsClientMessage = z.object({ type: z.literal("abort") });
export type WsClientMessage = z.infer<typeof WsClientMessage>;

/** What the server says on a run's WebSocket when a message or the run is wrong. */
export const WsErrorMessage = z.object({ type: z.literal("error"), message: z.string() });

/** Every message the WebSocket sends: the run's events as SSE sends them, or an error in words. */
export const WsServerMessage = z.union([TrainEvent, WsErrorMessage]);
export type WsServerMessage = z.infer<typeof WsServerMessage>;

/** The event stream in words, for the API document (OpenAPI cannot describe a stream's messages). */
export const EVENT_STREAM_DESCRIPTION = [
  `Server-Sent Events: each message has \`id: <seq>\`, \`event: <type>\` (one of ${TRAIN_EVENT_TYPES.join(", ")})`,
  "and `data:` the TrainEvent as JSON (@layerlab/spec's TrainEvent schema). A finished run's stream ends with `event: end`.",
  "Reconnects resume after Last-Event-ID.",
].join(" ");

/** The WebSocket in words, for the API document. */
export const WEBSOCKET_DESCRIPTION = [
  "Upgrade to a WebSocket. The server sends each TrainEvent of the run as one JSON text message",
  '(as SSE\'s data), or {"type":"error","message":…} for a bad message; it closes with 1000 when the run has finished',
  'and 4404 when the run does not exist. The client may send {"type":"abort"} to stop the run. `after` replays from after a seq.',
].join(" ");
