import { resolveObjectURL } from "node:buffer";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { Worker as NodeWorker } from "node:worker_threads";
import { supportsRelaxedSimd } from "../native/kernels";
import { prefersWasmThreads, provideKernelWorker } from "../threads";

/*
 * jax-js runs Wasm kernels on a pool of Web Workers sharing one
 * WebAssembly.Memory when `Worker` and `SharedArrayBuffer` exist — in a
 * cross-origin-isolated page. Node has SharedArrayBuffer but no Web Worker, so
 * this installs a minimal Web-Worker-shaped class over `worker_threads` that
 * runs the pool's script (handed over as a blob: URL). Per-kernel messages
 * cost tens of microseconds, so this pays off for convolutions (large
 * kernels) and not for small dense layers: measure with `npm run bench`.
 */

// Runs inside each worker thread: gives the pool's script the Web Worker
// globals it uses (self.onmessage, postMessage) and evaluates it once it
// arrives, replaying messages that came first.
const BOOTSTRAP = `
const { parentPort } = require("node:worker_threads");
globalThis.self = globalThis;
globalThis.postMessage = (message) => parentPort.postMessage(message);
const early = [];
let loaded = false;
parentPort.on("message", (message) => {
  if (!loaded && message && typeof message.__layerlabWorkerSource === "string") {
    (0, eval)(message.__layerlabWorkerSource);
    loaded = true;
    for (const m of early.splice(0)) self.onmessage({ data: m });
  } else if (loaded) {
    self.onmessage({ data: message });
  } else {
    early.push(message);
  }
});`;

let started = 0;
let helpersStarted = 0;

class NodeWebWorker {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((error: Error) => void) | null = null;
  readonly #worker: NodeWorker;
  #inFlight = 0;

  constructor(url: string | URL) {
    this.#worker = new NodeWorker(BOOTSTRAP, { eval: true });
    // Held only while a reply is awaited, so an idle pool never keeps the process alive.
    this.#worker.unref();
    this.#worker.on("message", (data) => {
      if (--this.#inFlight === 0) this.#worker.unref();
      this.onmessage?.({ data });
    });
    this.#worker.on("error", (err) => this.onerror?.(err));
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`worker script ${String(url)} is not a blob: URL this process created`);
    void blob.text().then((source) => this.#worker.postMessage({ __layerlabWorkerSource: source }));
  }

  postMessage(message: unknown): void {
    if (this.#inFlight++ === 0) this.#worker.ref();
    this.#worker.postMessage(message);
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }
}

/** A worker of jax-js's pool, counted by `wasmThreadsStarted`. */
class JaxPoolWorker extends NodeWebWorker {
  constructor(url: string | URL) {
    super(url);
    started++;
  }
}

/** A helper of the engine's own conv kernels, counted by `kernelHelpersStarted()`. */
class KernelHelperWorker extends NodeWebWorker {
  constructor(url: string | URL) {
    super(url);
    helpersStarted++;
  }
}

/**
 * Lets jax-js's Wasm backend run kernels on `threads` worker threads in Node.
 * Call it before jax-js is first loaded — import `@layerlab/engine`
 * dynamically afterwards — because jax-js fixes its memory model when its
 * backend starts. Returns the thread count in effect (1 = single-threaded).
 * The engine's own conv kernels get relaxed SIMD too (`enableRelaxedSimd`).
 */
export function enableWasmThreads(threads = availableParallelism()): number {
  const g = globalThis as Record<string, unknown>;
  enableRelaxedSimd();
  if (threads <= 1) {
    enableKernelThreads();
    return 1;
  }
  if (typeof g.Worker === "undefined") g.Worker = JaxPoolWorker;
  enableKernelThreads(); // its own helpers, not jax-js's Worker, so the two are counted apart
  // jax-js sizes its pool from navigator.hardwareConcurrency (Node 20 has no navigator).
  if (typeof g.navigator === "undefined") g.navigator = { hardwareConcurrency: threads };
  return threads;
}

/**
 * Lets this Node run WebAssembly relaxed SIMD, which the engine's conv kernels use for fused multiply-adds
 * (products about a quarter faster on the MNIST CNN). Node 22's V8 runs it by default, as Chromium does; Node
 * 20's V8 (11.3) has the finished feature behind this flag. It only widens what WebAssembly validates, so it
 * may be set after start-up, before the kernels are compiled.
 */
export function enableRelaxedSimd(): void {
  if (!supportsRelaxedSimd()) setFlagsFromString("--experimental-wasm-relaxed-simd");
}

/**
 * Lets the engine's own conv kernels run on a thread per core (this one and worker-thread helpers) while jax-js
 * stays single-threaded. It loads nothing and does not change jax-js's memory model.
 */
export function enableKernelThreads(): void {
  provideKernelWorker(KernelHelperWorker, availableParallelism());
}

/** How many worker threads jax-js has started through `enableWasmThreads` in this process. */
export function wasmThreadsStarted(): number {
  return started;
}

/** How many helper threads the engine's own conv kernels have started in this process (see `enableKernelThreads`). */
export function kernelHelpersStarted(): number {
  return helpersStarted;
}

/** The Wasm thread count a model should train with in Node (see `prefersWasmThreads`). */
export function wasmThreadsFor(spec: { layers: readonly { kind: string }[] }): number {
  return prefersWasmThreads(spec) ? availableParallelism() : 1;
}
