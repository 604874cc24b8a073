/// <reference lib="webworker" />
import { keepWasmSingleThreaded } from "@layerlab/engine/threads";
import type { ToWorker } from "./protocol";

/*
 * The training worker's entry. jax-js picks Wasm threading when it loads, so
 * this file imports no jax-js (only @layerlab/engine/threads): the page's
 * first message, "configure", says which mode this worker runs — dense nets
 * on one thread, conv nets on jax-js's worker pool — and only then is the
 * engine imported. Messages arriving meanwhile wait in `queued`.
 */
const queued: ToWorker[] = [];
let configured = false;

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type !== "configure") {
    queued.push(msg);
    return;
  }
  if (configured) return;
  configured = true;
  if (msg.mode === "single") keepWasmSingleThreaded();
  import("./engineWorker")
    .then(({ startEngine }) => startEngine(msg.mode, queued))
    .catch((err) => self.postMessage({ type: "failed", message: `the engine could not start: ${String(err)}` }));
};
