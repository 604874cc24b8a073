import type { TrainEvent } from "@layerlab/spec";

/** Called with each new event of a run, after it is stored. */
export type EventListener = (event: TrainEvent) => void;

/**
 * In-process fan-out of stored events to live SSE and WebSocket clients.
 * Publishing happens only after the registry has the event, so a client that
 * replays from the registry and then listens misses nothing.
 */
export class EventHub {
  readonly #listeners = new Map<string, Set<EventListener>>();

  /** Listens to a run's events; returns the function that stops listening. */
  subscribe(runId: string, listener: EventListener): () => void {
    let set = this.#listeners.get(runId);
    if (!set) {
      set = new Set();
      this.#listeners.set(runId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(runId) === set) this.#listeners.delete(runId);
    };
  }

  /** Delivers stored events to every listener of the run. */
  publish(runId: string, events: readonly TrainEvent[]): void {
    const set = this.#listeners.get(runId);
    if (!set) return;
    for (const listener of [...set]) for (const e of events) listener(e);
  }

  /** How many clients listen to a run. */
  listenerCount(runId: string): number {
    return this.#listeners.get(runId)?.size ?? 0;
  }
}
