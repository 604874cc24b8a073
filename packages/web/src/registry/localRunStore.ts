import type { TrainEvent } from "@layerlab/spec";
import type { RunSummary } from "../api/client";
import { deleteLocalEpochs } from "../epochs/localEpochStore";
import type { Studio } from "../state/studio";
import type { RunResults } from "../train/trainer";
import { indexedDbStore } from "./indexedDbStore";

/*
 * The registry of a studio without a server (a static build, a preview):
 * browser runs kept in this browser's IndexedDB, in the shape the server's
 * run views have, so the Runs, Draw and run pages read both alike. One record
 * per run holds its setup, its events and, once finished, its results
 * (weights and test images included; structured clone keeps the typed arrays).
 */

const DB_NAME = "layerlab";
const STORE = "runs";

/** A browser run as this browser keeps it. */
export interface StoredRun {
  id: string;
  name: string;
  status: RunSummary["status"];
  /** The setup it trained: spec, config and dataset choice. */
  studio: Studio;
  dataset: string;
  limit: number | null;
  /** configFingerprint of spec, config and dataset (duplicate detection). */
  fingerprint: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  events: TrainEvent[];
  results: RunResults | null;
  /** Its resume point at its last epoch end (train/resumePoint.ts), from which an interrupted or aborted run continues. */
  resumePoint?: Uint8Array | null;
}

/** Whether this browser offers IndexedDB (private modes and some tests do not). */
export function hasLocalStore(): boolean {
  return typeof indexedDB !== "undefined";
}

const request = indexedDbStore(DB_NAME, STORE, "id", "run store");

/** Listeners told of every saved or deleted run of this page, so open views list it without a reload. */
const changes = new EventTarget();

/** Calls `listener` with a run's id (and the run, unless it was deleted) once this page saved or deleted it; returns the unsubscribe function. */
export function onStoredRunChange(listener: (id: string, run: StoredRun | null) => void): () => void {
  const on = (e: Event) => {
    const { id, run } = (e as CustomEvent<{ id: string; run: StoredRun | null }>).detail;
    listener(id, run);
  };
  changes.addEventListener("change", on);
  return () => changes.removeEventListener("change", on);
}

function changed(id: string, run: StoredRun | null): void {
  changes.dispatchEvent(new CustomEvent("change", { detail: { id, run } }));
}

/** Saves (or replaces) run `run`. */
export async function putStoredRun(run: StoredRun): Promise<void> {
  await request("readwrite", (s) => s.put(run));
  changed(run.id, run);
}

/** Run `id`, or undefined. */
export function getStoredRun(id: string): Promise<StoredRun | undefined> {
  return request("readonly", (s) => s.get(id));
}

/** Deletes run `id` (and the epoch checkpoints this browser keeps of it). */
export async function deleteStoredRun(id: string): Promise<void> {
  await request("readwrite", (s) => s.delete(id));
  await deleteLocalEpochs(id);
  changed(id, null);
}

/** Every stored run, newest first. */
export async function listStoredRuns(): Promise<StoredRun[]> {
  const all = await request<StoredRun[]>("readonly", (s) => s.getAll());
  return all.sort((a, b) => b.createdAt - a.createdAt);
}

/** The stored runs holding `fingerprint`, newest first. */
export async function storedRunsByFingerprint(fingerprint: string): Promise<StoredRun[]> {
  return (await listStoredRuns()).filter((r) => r.fingerprint === fingerprint);
}

/** The training time a stored run's done event reports (every session of a resumed run), or null before it ends. */
function doneSeconds(events: StoredRun["events"]): number | null {
  for (const e of events) if (e.type === "done") return e.seconds;
  return null;
}

/** A stored run as the run list shows a registry run. */
export function storedRunSummary(r: StoredRun): RunSummary {
  const { spec, config } = r.studio;
  const layers = (spec.layers ?? []) as { kind: string; units?: number; rate?: number }[];
  const dense = layers.filter((l) => l.kind === "dense");
  const optimizer = config.optimizer as unknown;
  const epochs = r.events.filter((e) => e.type === "epoch");
  const last = epochs[epochs.length - 1];
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    tags: [],
    notes: "",
    fingerprint: r.fingerprint,
    dataset: r.dataset,
    executor: "browser",
    modelKind: layers.some((l) => l.kind === "conv2d") ? "cnn" : "mlp",
    optimizer:
      typeof optimizer === "string" ? optimizer : String((optimizer as { name?: string } | undefined)?.name ?? ""),
    batchSize: Number(config.batchSize ?? 0),
    epochs: Number(config.epochs ?? 0),
    hiddenUnits: dense
      .slice(0, -1)
      .map((l) => l.units ?? 0)
      .join(","),
    dropout: Math.max(0, ...layers.map((l) => (l.kind === "dropout" ? (l.rate ?? 0) : 0))),
    learningRate: Number(config.learningRate ?? 0),
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    trainSeconds: doneSeconds(r.events),
    epochsDone: epochs.length,
    metrics: {
      trainLoss: last?.trainLoss ?? null,
      trainAccuracy: last?.trainAccuracy ?? null,
      valLoss: last?.valLoss ?? null,
      valAccuracy: last?.valAccuracy ?? null,
      testLoss: r.results?.loss ?? null,
      testAccuracy: r.results?.accuracy ?? null,
    },
    queuePosition: null,
    worker: null,
    error: r.error,
  };
}
