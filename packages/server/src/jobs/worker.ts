import { parentPort, workerData } from "node:worker_threads";
import { enableWasmThreads, wasmThreadsFor, wasmThreadsStarted } from "@layerlab/engine/node";
import type { JobInput, ServerMessage, WorkerMessage } from "./job-types";

/*
 * Entry of a job worker thread: one run per thread, so a CNN's training never
 * blocks the server's event loop, and an abort or crash takes only this thread.
 */

const input = workerData as JobInput;
const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");
const post = (m: WorkerMessage) => port.postMessage(m);

// jax-js fixes its memory model when its backend starts, so threads are decided before it is loaded:
// the runner (and through it jax-js) is imported only below, dynamically.
enableWasmThreads(wasmThreadsFor(input.spec as { layers: { kind: string }[] }));
const { runJob } = await import("./run-job");

const controller = new AbortController();
port.on("message", (m: ServerMessage) => {
  if (m.type === "abort") controller.abort(new Error(m.reason));
});

runJob(input, {
  signal: controller.signal,
  onEvent: (event) => post({ type: "event", event }),
  onArtifact: (name, bytes) => post({ type: "artifact", name, bytes }),
})
  .then(() => post({ type: "finished", wasmThreads: wasmThreadsStarted() }))
  .catch((err: unknown) => post({ type: "crashed", message: (err as Error)?.message ?? String(err) }))
  .finally(() => port.close());
