import { parentPort, workerData } from "node:worker_threads";
import { enableWasmThreads, kernelHelpersStarted, wasmThreadsStarted } from "@layerlab/engine/node";
import type { JobThreadData, ServerMessage, WorkerMessage } from "./job-types";

/*
 * Entry of a job thread: it trains the jobs the server sends, one at a time,
 * so a CNN's training never blocks the server's event loop, and a crash (or
 * an abort that does not stop in time) takes only this thread. The thread
 * stays loaded for the server's next job that wants the same Wasm threads:
 * starting one (the runner, jax-js) costs a second, and so does drawing
 * the built-in shapes, which it keeps for the next job (run-job.ts).
 */

const { wasmThreads } = workerData as JobThreadData;
const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");
const post = (m: WorkerMessage) => port.postMessage(m);

// jax-js fixes its memory model when its backend starts, so threads are decided before it is loaded:
// the runner (and through it jax-js) is imported only below, dynamically.
enableWasmThreads(wasmThreads);
const { runJob } = await import("./run-job");

let controller: AbortController | null = null;
port.on("message", (m: ServerMessage) => {
  if (m.type === "abort") {
    controller?.abort(new Error(m.reason));
    return;
  }
  const current = new AbortController();
  controller = current;
  runJob(m.input, {
    signal: current.signal,
    onEvent: (event) => post({ type: "event", event }),
    onArtifact: (name, bytes) => post({ type: "artifact", name, bytes }),
  })
    .then(() => post({ type: "finished", wasmThreads: wasmThreadsStarted(), kernelHelpers: kernelHelpersStarted() }))
    .catch((err: unknown) => post({ type: "crashed", message: (err as Error)?.message ?? String(err) }))
    .finally(() => {
      if (controller === current) controller = null;
    });
});
