import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "@layerlab/data-node";

/** The files of a run folder (DESIGN.md "Run folder"). */
export const RUN_FILES = {
  spec: "spec.json",
  config: "config.json",
  run: "run.json",
  weights: "weights.safetensors",
  bestWeights: "weights.best.safetensors",
  /** The resume point: weights + optimizer state + progress, committed by one rename. */
  optimizer: "optimizer.safetensors",
  metrics: "metrics.json",
  metricsCsv: "metrics.csv",
  events: "events.jsonl",
  test: "test.json",
} as const;

/** Writes text or bytes to `dir/name` through a temporary file and a rename. */
export async function writeRunFile(dir: string, name: string, content: string | Uint8Array): Promise<void> {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  await writeFileAtomic(join(dir, name), [bytes]);
}

/** A pretty-printed array of numbers: "[" and a newline, numbers one per line, "]". JSON strings never hold a raw newline. */
const NUMBER_ARRAY = /\[\n\s*(-?[\d.eE+-]+(?:,\n\s*-?[\d.eE+-]+)*)\n\s*\]/g;

/**
 * Pretty JSON with a trailing newline, as every JSON file of a run is written;
 * arrays of numbers stay on one line (a test.json holds thousands of predictions).
 */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(NUMBER_ARRAY, (_, items: string) => `[${items.replace(/\n\s*/g, " ")}]`)}\n`;
}

/** Reads and parses a JSON file of a run folder; the error names the file and what to do. */
export async function readRunJson<T>(dir: string, name: string): Promise<T> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new RunFolderError(`${path} does not exist`, `is ${dir} a LayerLab run folder? (see 'layerlab runs list')`);
    }
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new RunFolderError(`${path} is not valid JSON (${(err as Error).message})`, "the run folder is damaged");
  }
}

/** A problem with a run folder or a run's inputs that a person can fix; `hint` says how. */
export class RunFolderError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "RunFolderError";
  }
}
