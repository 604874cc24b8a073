import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { LEASE_HEADER, MAX_EVENT_BATCH, RUN_FILE_NAMES } from "@layerlab/api";
import { RUN_FILES } from "@layerlab/runner";
import type { TrainEvent } from "@layerlab/spec";
import type { ServerClient } from "./server-client";

/** Run files a worker hands to the server; run.json goes last, so a listed run.json always has its checkpoint there. */
const SYNCED_FILES = RUN_FILE_NAMES.filter((n) => n !== "report.html" && n !== RUN_FILES.run);

/**
 * Delivers one claimed run to the server: its events in order, in batches,
 * and after each checkpoint the run files that changed, all with the claim's
 * lease. Every request is retried until the server takes it (a restarted
 * server misses nothing; the server skips event seqs it already has). The
 * first refusal (409: the lease is no longer this run's claim) or local
 * failure stops all further delivery and is reported through `onStopped`.
 */
export class RunSync {
  readonly #pending: TrainEvent[] = [];
  readonly #uploaded = new Map<string, string>();
  #chain: Promise<void> = Promise.resolve();
  #stopped: Error | null = null;
  #flushQueued = false;

  constructor(
    readonly client: ServerClient,
    readonly runId: string,
    readonly lease: string,
    readonly dir: string,
    readonly onStopped: (err: Error) => void,
  ) {}

  /** What stopped delivery, if anything did (a RefusedError when the server refused). */
  get stopped(): Error | null {
    return this.#stopped;
  }

  /** Queues an event; events that arrive together go in one batch. */
  pushEvent(event: TrainEvent): void {
    this.#pending.push(event);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    this.#then(async () => {
      this.#flushQueued = false;
      await this.#postPending();
    });
  }

  /** Uploads every run file that changed since the last upload, after the events queued so far. */
  syncFiles(): Promise<void> {
    return this.#then(() => this.#uploadChanged());
  }

  /** Remembers the files as they are now as already on the server (they were just downloaded from it). */
  async markAllUploaded(): Promise<void> {
    for (const name of [...SYNCED_FILES, RUN_FILES.run]) {
      const key = await this.#fileKey(name);
      if (key) this.#uploaded.set(name, key);
    }
  }

  /** Resolves once everything queued so far is delivered (or delivery was stopped). */
  idle(): Promise<void> {
    return this.#then(async () => {});
  }

  #then(step: () => Promise<void>): Promise<void> {
    this.#chain = this.#chain.then(async () => {
      if (this.#stopped) return;
      try {
        await step();
      } catch (err) {
        this.#stopped = err as Error;
        this.onStopped(err as Error);
      }
    });
    return this.#chain;
  }

  async #postPending(): Promise<void> {
    while (this.#pending.length > 0 && !this.#stopped) {
      const batch = this.#pending.slice(0, MAX_EVENT_BATCH);
      await this.client.request(`/api/runs/${this.runId}/events`, {
        method: "POST",
        body: { events: batch },
        headers: { [LEASE_HEADER]: this.lease },
      });
      this.#pending.splice(0, batch.length);
    }
  }

  async #uploadChanged(): Promise<void> {
    await this.#postPending();
    for (const name of [...SYNCED_FILES, RUN_FILES.run]) {
      const key = await this.#fileKey(name);
      if (!key || this.#uploaded.get(name) === key) continue;
      const bytes = new Uint8Array(await readFile(join(this.dir, name)));
      await this.client.request(`/api/runs/${this.runId}/artifacts/${name}`, {
        method: "PUT",
        body: bytes,
        headers: { [LEASE_HEADER]: this.lease },
      });
      this.#uploaded.set(name, key);
    }
  }

  /** Size and modification time: the runner replaces a file whole (rename), so a change shows in both or in the time. */
  async #fileKey(name: string): Promise<string | null> {
    const info = await stat(join(this.dir, name)).catch(() => null);
    return info?.isFile() ? `${info.size}:${info.mtimeMs}` : null;
  }
}
