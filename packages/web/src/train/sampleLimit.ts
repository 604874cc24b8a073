import { useSyncExternalStore } from "react";

/*
 * "Train on the first N samples only" outlives the page it is typed on: going to the builder to pick a
 * template and coming back keeps it (kept for the tab's session, so a reload keeps it too).
 */

const KEY = "layerlab.sampleLimit";
const listeners = new Set<() => void>();

function read(): number | "" {
  try {
    const n = Number(sessionStorage.getItem(KEY));
    return Number.isInteger(n) && n >= 1 ? n : "";
  } catch {
    return "";
  }
}

let current: number | "" = typeof sessionStorage === "undefined" ? "" : read();

/** The sample limit now: a whole number ≥ 1, or "" for all samples. */
export function sampleLimit(): number | "" {
  return current;
}

/** Sets the sample limit ("" for all samples) and tells every view that shows it. */
export function setSampleLimit(value: number | ""): void {
  current = value === "" || !Number.isFinite(value) ? "" : Math.max(1, Math.round(value));
  try {
    if (current === "") sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, String(current));
  } catch {
    // Storage refused (private mode): the limit still holds for this page's life.
  }
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The sample limit and its setter, shared by every view and kept across page changes. */
export function useSampleLimit(): [number | "", (value: number | "") => void] {
  return [useSyncExternalStore(subscribe, sampleLimit), setSampleLimit];
}
