import type { SweepPlan, SweepValue } from "@layerlab/spec";
import { indexedDbStore } from "../registry/indexedDbStore";

/*
 * Sweeps of a studio without a server. A sweep's runs are ordinary browser runs in this browser's run store
 * (registry/localRunStore.ts), so the Runs, run and Compare pages read them as any other; what makes them
 * one sweep is one record here naming them in grid order, with the plan and the sentence of what they
 * share. Listing, opening and deleting a sweep go through this record. It lives in a database of its own,
 * so the run store's schema (and the browsers that already hold it) stay as they are.
 */

const DB_NAME = "layerlab-sweeps";
const STORE = "sweeps";

/** A sweep as this browser keeps it. */
export interface StoredSweep {
  /** `browser-sweep-…`: the prefix tells the page to read it here rather than from a server. */
  id: string;
  name: string;
  plan: SweepPlan;
  kind: "grid" | "kfold";
  seed: number;
  /** `sweepControlStatement`: what every run shares and what differs. */
  control: string;
  dataset: string;
  /** Train on the first N samples only, as every run of the sweep does; null: all. */
  limit: number | null;
  createdAt: number;
  /** The runs in grid order (first axis slowest), each with its values and label. */
  runs: { id: string; label: string; values: SweepValue[] }[];
}

/** Whether sweep `id` lives in this browser (its ids are made by this page). */
export function isLocalSweepId(id: string): boolean {
  return id.startsWith("browser-sweep-");
}

/** A fresh local sweep id. */
export function newLocalSweepId(): string {
  return `browser-sweep-${crypto.randomUUID().slice(0, 8)}`;
}

const request = indexedDbStore(DB_NAME, STORE, "id", "sweep store");

const changes = new EventTarget();

/** Calls `listener` whenever this page saves or deletes a sweep; returns the unsubscribe function. */
export function onStoredSweepChange(listener: () => void): () => void {
  changes.addEventListener("change", listener);
  return () => changes.removeEventListener("change", listener);
}

/** Saves (or replaces) sweep `sweep`. */
export async function putStoredSweep(sweep: StoredSweep): Promise<void> {
  await request("readwrite", (s) => s.put(sweep));
  changes.dispatchEvent(new Event("change"));
}

/** Sweep `id`, or undefined. */
export function getStoredSweep(id: string): Promise<StoredSweep | undefined> {
  return request("readonly", (s) => s.get(id));
}

/** Deletes sweep `id`'s record (its runs are deleted by the caller, one by one). */
export async function deleteStoredSweep(id: string): Promise<void> {
  await request("readwrite", (s) => s.delete(id));
  changes.dispatchEvent(new Event("change"));
}

/** Every sweep this browser keeps, newest first. */
export async function listStoredSweeps(): Promise<StoredSweep[]> {
  const all = await request<StoredSweep[]>("readonly", (s) => s.getAll());
  return all.sort((a, b) => b.createdAt - a.createdAt);
}
