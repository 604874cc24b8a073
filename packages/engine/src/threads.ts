import { hasConvOutsideStack } from "./native/stackLayers";

/*
 * jax-js runs Wasm kernels on a pool of workers whenever the context has
 * `Worker` and SharedArrayBuffer (a cross-origin-isolated page, or Node with
 * `enableWasmThreads`). Every kernel then costs a message round trip: that
 * pays off for convolutions (large kernels; 1.5× on 2 cores) and costs dense
 * nets about half their speed (many small kernels). `npm run bench` measures both.
 */

/**
 * Whether a model trains faster with jax-js on the Wasm worker pool than on one thread: when it has
 * convolutions that jax-js runs. The leading conv + pool chain of a CNN runs on the engine's own kernels
 * (`src/native`), which take a helper thread of their own; the dense rest of such a model is faster on one
 * thread (MNIST CNN, 2 cores: 2,466–2,572 samples/s against 1,994–2,083 with the pool; `JAX_THREADS` in
 * bench/node-runtime.ts measures it).
 */
export function prefersWasmThreads(spec: { layers: readonly { kind: string }[] }): boolean {
  return hasConvOutsideStack(spec);
}

/**
 * Keeps jax-js's Wasm backend on this thread: hides `Worker` from it. Call in
 * a context of its own (a page or a dedicated worker that trains dense nets)
 * before jax-js is first loaded — import this module as
 * `@layerlab/engine/threads` (it loads no jax-js) and the engine dynamically
 * afterwards: jax-js starts its backend when it loads and reads `Worker` again
 * when it compiles kernels, so it must stay hidden for the context's life.
 */
export function keepWasmSingleThreaded(): void {
  const g = globalThis as Record<string | symbol, unknown>;
  // The engine's own conv kernels may still use helper threads: they reach Worker by this key instead.
  if (typeof g.Worker === "function") provideKernelWorker(g.Worker as WorkerClass, coresHere());
  g.Worker = undefined;
}

const KERNEL_WORKERS = Symbol.for("layerlab.kernelWorkers");

/** A Web-Worker-shaped class: the browser's, or the engine's over Node's worker_threads. */
export type WorkerClass = new (
  url: string,
) => {
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((error: Error) => void) | null;
  postMessage(message: unknown): void;
  terminate(): unknown;
};

/** What the engine's conv kernels may start helper threads with, and how many threads to use in all. */
export interface KernelWorkers {
  worker: WorkerClass;
  threads: number;
}

function coresHere(): number {
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency || 1;
}

/**
 * Lets the engine's own conv kernels run on `threads` threads (this one and `threads − 1` helpers started with
 * `worker`) while jax-js stays on one thread.
 */
export function provideKernelWorker(worker: WorkerClass, threads: number): void {
  (globalThis as Record<symbol, unknown>)[KERNEL_WORKERS] = { worker, threads } satisfies KernelWorkers;
}

/**
 * The helper threads the conv kernels may use: those set aside for them, else jax-js's `Worker` with a thread per
 * core, else none (one thread).
 */
export function kernelWorkers(): KernelWorkers | null {
  const g = globalThis as Record<string | symbol, unknown>;
  const provided = g[KERNEL_WORKERS] as KernelWorkers | undefined;
  if (provided) return provided.threads > 1 ? provided : null;
  const threads = coresHere();
  return typeof g.Worker === "function" && threads > 1 ? { worker: g.Worker as WorkerClass, threads } : null;
}
