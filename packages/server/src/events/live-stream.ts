import type { TrainEvent } from "@layerlab/spec";
import type { Registry } from "../db/registry";
import type { RunStatus } from "../db/schema";
import type { EventHub } from "./hub";

/** Statuses in which more events can still come. */
export const LIVE_STATUSES: readonly RunStatus[] = ["queued", "running"];

/** Options of `streamRunEvents`. */
export interface StreamOptions {
  registry: Registry;
  hub: EventHub;
  runId: string;
  /** Deliver only events with a larger seq (-1: from the start). */
  afterSeq: number;
  /** Replay what is stored and stop, even if the run is live. */
  historyOnly: boolean;
  send(event: TrainEvent): void;
  /** Called once when nothing more will come. */
  end(): void;
}

/**
 * Replays a run's stored events after `afterSeq`, then relays live ones,
 * each exactly once and in seq order: it listens before reading the registry
 * and drops anything at or below the last seq sent. Returns a function that
 * stops the stream (client gone).
 */
export async function streamRunEvents(opts: StreamOptions): Promise<() => void> {
  let lastSent = opts.afterSeq;
  let replaying = true;
  let stopped = false;
  const buffered: TrainEvent[] = [];
  const isTerminal = (e: TrainEvent) => ["done", "aborted", "error", "diverged"].includes(e.type);
  let unsubscribe = () => {};
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    opts.end();
  };
  const deliver = (e: TrainEvent) => {
    if (stopped || e.seq <= lastSent) return;
    lastSent = e.seq;
    opts.send(e);
    // A resumed run's history holds an earlier end: only a live end, or the run's status after the replay, stops the stream.
    if (isTerminal(e) && !replaying) stop();
  };
  if (!opts.historyOnly) {
    unsubscribe = opts.hub.subscribe(opts.runId, (e) => (replaying ? buffered.push(e) : deliver(e)));
  }
  // Page through the stored events so a long history never sits in memory whole.
  for (;;) {
    const page = await opts.registry.eventsAfter(opts.runId, lastSent, 2000);
    for (const e of page) deliver(e);
    if (page.length < 2000 || stopped) break;
  }
  replaying = false;
  for (const e of buffered.splice(0)) deliver(e);
  if (stopped) return stop;
  const run = await opts.registry.getRun(opts.runId);
  if (opts.historyOnly || !run || !LIVE_STATUSES.includes(run.status)) stop();
  return stop;
}
