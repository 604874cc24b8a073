import { defaultDevice, init } from "@jax-js/jax";
import type { Backend } from "@layerlab/spec";

let ready: Promise<Backend> | null = null;

/**
 * Starts jax-js once and picks the device: WebGPU when an adapter exists and
 * it is allowed, else Wasm (Node has no WebGPU). Later calls return the same
 * choice.
 */
export function initBackend(opts: { allowWebGpu?: boolean } = {}): Promise<Backend> {
  ready ??= (async () => {
    const wantGpu = opts.allowWebGpu !== false && typeof navigator !== "undefined" && "gpu" in navigator;
    const available = wantGpu ? await init("webgpu", "wasm") : await init("wasm");
    const device: Backend = available.includes("webgpu") ? "webgpu" : "wasm";
    defaultDevice(device);
    return device;
  })();
  return ready;
}

/** The device arrays are placed on now. */
export function currentBackend(): Backend {
  return defaultDevice() as Backend;
}

/** Lets timers, I/O and abort signals run between training steps (a macrotask, not a microtask). */
export function yieldToHost(): Promise<void> {
  if (typeof setImmediate === "function") return new Promise((resolve) => setImmediate(resolve));
  // Browsers clamp nested setTimeout(0) to 4 ms; a message round trip is immediate.
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
