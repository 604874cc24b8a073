/*
 * jax-js runs Wasm kernels on a pool of workers whenever the context has
 * `Worker` and SharedArrayBuffer (a cross-origin-isolated page, or Node with
 * `enableWasmThreads`). Every kernel then costs a message round trip: that
 * pays off for convolutions (large kernels; 1.5× on 2 cores) and costs dense
 * nets about half their speed (many small kernels). `npm run bench` measures both.
 */

/** Whether a model trains faster on the Wasm worker pool than on one thread. */
export function prefersWasmThreads(spec: { layers: readonly { kind: string }[] }): boolean {
  return spec.layers.some((l) => l.kind === "conv2d");
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
  (globalThis as { Worker?: unknown }).Worker = undefined;
}
