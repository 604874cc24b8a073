import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/*
 * Counts the device buffers jax-js holds, so a test can prove that training
 * does not leak arrays. jax-js does not export its backends, so this finds the
 * chunk of the pinned version that does and wraps the Wasm backend's
 * allocation calls. If an upgrade moves things, this throws, loudly.
 */

type Backend = {
  malloc(size: number, init?: Uint8Array): number;
  incRef(slot: number): void;
  decRef(slot: number): void;
};

/** Starts counting live buffers of the wasm backend; returns a function that reads the count. */
export async function trackLiveBuffers(): Promise<() => number> {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("@jax-js/jax"));
  const chunk = readdirSync(dist).find((f) => /^backend-.*\.js$/.test(f));
  if (!chunk) throw new Error(`no backend chunk in ${dist}: update live-buffers.ts for this jax-js version`);
  const mod = (await import(pathToFileURL(join(dist, chunk)).href)) as Record<string, unknown>;
  const getBackend = Object.values(mod).find((f) => typeof f === "function" && f.name === "getBackend") as
    | ((device?: string) => Backend)
    | undefined;
  if (!getBackend) throw new Error("jax-js's getBackend not found: update live-buffers.ts for this jax-js version");
  const backend = getBackend("wasm");
  const refs = new Map<number, number>();
  const { malloc, incRef, decRef } = backend;
  backend.malloc = function (size, init) {
    const slot = malloc.call(this, size, init);
    refs.set(slot, 1);
    return slot;
  };
  backend.incRef = function (slot) {
    incRef.call(this, slot);
    refs.set(slot, (refs.get(slot) ?? 0) + 1);
  };
  backend.decRef = function (slot) {
    decRef.call(this, slot);
    const n = (refs.get(slot) ?? 0) - 1;
    if (n <= 0) refs.delete(slot);
    else refs.set(slot, n);
  };
  return () => refs.size;
}
