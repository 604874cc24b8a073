import { appendFile, readFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import type { TrainEvent } from "@layerlab/spec";
import { RUN_FILES } from "./files";

/**
 * events.jsonl of a run: every event, one JSON object a line, appended.
 * The engine numbers each session's events from 0; the log renumbers them so
 * that `seq` keeps increasing across resumes.
 */
export class EventLog {
  private constructor(
    private readonly path: string,
    private nextSeq: number,
    /** Bytes of complete lines in the file: where a failed append is cut back to. */
    private bytes: number,
  ) {}

  /**
   * Opens the log of `dir`, continuing after its last complete event. A line
   * cut short by a kill is removed, so the file stays valid JSON lines.
   */
  static async open(dir: string): Promise<EventLog> {
    const path = join(dir, RUN_FILES.events);
    const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return "";
      throw err;
    });
    const complete = text.endsWith("\n") || text === "" ? text : text.slice(0, text.lastIndexOf("\n") + 1);
    if (complete.length !== text.length) await truncate(path, Buffer.byteLength(complete));
    const events = readEventLines(complete);
    const last = events.at(-1);
    return new EventLog(path, last ? last.seq + 1 : 0, Buffer.byteLength(complete));
  }

  /**
   * Appends an event under the next sequence number and returns it as written.
   * When the write fails (a full disk can take part of a line), the file is
   * cut back to its last complete line, so later appends stay valid JSON lines.
   */
  async append(event: TrainEvent): Promise<TrainEvent> {
    const written = this.numbered(event);
    const line = `${JSON.stringify(written)}\n`;
    try {
      await appendFile(this.path, line);
    } catch (err) {
      await truncate(this.path, this.bytes).catch(() => {});
      throw err;
    }
    this.bytes += Buffer.byteLength(line);
    this.nextSeq++;
    return written;
  }

  /** The event under the sequence number the next append would give it, without writing it. */
  numbered(event: TrainEvent): TrainEvent {
    return { ...event, seq: this.nextSeq };
  }
}

/** Parses events.jsonl text; a trailing partial line is ignored. */
export function readEventLines(text: string): TrainEvent[] {
  const events: TrainEvent[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      events.push(JSON.parse(line) as TrainEvent);
    } catch {
      // only the last line can be partial (a kill mid-append); nothing follows it
    }
  }
  return events;
}

/** Every event a run recorded. */
export async function readRunEvents(dir: string): Promise<TrainEvent[]> {
  return readEventLines(await readFile(join(dir, RUN_FILES.events), "utf8").catch(() => ""));
}
