import { parentPort, workerData } from "node:worker_threads";
import { enableWasmThreads } from "@layerlab/engine/node";
import type { JobInput, ServerMessage, WorkerMessage } from "./job-types";
import { runJob } from "./run-job";

/*
 * Entry of a job worker thread: one run per thread, so a CNN's training never
 * blocks the server's event loop, and an abort or crash takes only this thread.
 */

const input = workerData as JobInput;
const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");
const post = (m: WorkerMessage) => port.postMessage(m);

const hasConv = (spec: unknown) =>
  Array.isArray((spec as { layers?: unknown })?.layers) &&
  (spec as { layers: { kind?: string }[] }).layers.some((l) => l?.kind === "conv2d");

// Threads double conv speed but halve dense speed (measured), so only conv models get them. Opt-in for now:
// inside a worker thread jax-js 0.1.25 fails with "memory import 0 has no maximum limit" (see the report).
if (hasConv(input.spec) && process.env.LAYERLAB_WASM_THREADS === "1") enableWasmThreads();

const controller = new AbortController();
port.on("message", (m: ServerMessage) => {
  if (m.type === "abort") controller.abort(new Error(m.reason));
});

runJob(input, {
  signal: controller.signal,
  onEvent: (event) => post({ type: "event", event }),
  onArtifact: (name, bytes) => post({ type: "artifact", name, bytes }),
})
  .then(() => post({ type: "finished" }))
  .catch((err: unknown) => post({ type: "crashed", message: (err as Error)?.message ?? String(err) }))
  .finally(() => port.close());
