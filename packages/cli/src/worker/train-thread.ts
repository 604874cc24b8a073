import { parentPort, workerData } from "node:worker_threads";
import { enableWasmThreads } from "@layerlab/engine/node";
import type { TrainEvent } from "@layerlab/spec";
import type { TrainJob, TrainThreadCommand, TrainThreadData, TrainThreadMessage } from "./thread-messages";

/*
 * A training thread of `layerlab worker`: the HTTP loop (heartbeats,
 * uploads) never waits on a training step, and the thread stays loaded for
 * the next claim, one job at a time. Training is the runner's, as in
 * `layerlab train` and the server's job threads: a folder holding run.json
 * is resumed, any other is started.
 */

const data = workerData as TrainThreadData;
const port = parentPort;
if (!port) throw new Error("train-thread.ts must run in a worker thread");
const post = (m: TrainThreadMessage) => port.postMessage(m);

// jax-js fixes its memory model when its backend starts, so threads are decided before the runner loads it.
enableWasmThreads(data.wasmThreads);
const { isRunFolder, loadDatasetRefKeepingBuiltin, resumeRun, startRun } = await import("@layerlab/runner");

type Loaded = Awaited<ReturnType<typeof loadDatasetRefKeepingBuiltin>>;

let controller: AbortController | null = null;

/** The run's dataset: a built-in of the last job is reused (see loadDatasetRefKeepingBuiltin). */
function datasetOf(job: TrainJob): Promise<Loaded> {
  const ref: Loaded["ref"] =
    job.dataset.kind === "builtin"
      ? ({ kind: "builtin", name: job.dataset.name } as Loaded["ref"])
      : { kind: "saved", id: job.dataset.id };
  return loadDatasetRefKeepingBuiltin(ref, job.dataDir);
}

async function train(job: TrainJob, signal: AbortSignal): Promise<void> {
  const controls = { signal, onEvent: (event: TrainEvent) => post({ type: "event", event }) };
  const { dataset, ref, preprocessing } = await datasetOf(job);
  if (isRunFolder(job.dir)) {
    // The run's dataset is the claim's (the run was started from it); the runner checks its statistics again.
    await resumeRun(job.dir, { ...controls, dataset, dataDir: job.dataDir });
    return;
  }
  await startRun({
    ...controls,
    dir: job.dir,
    spec: job.spec,
    config: job.config as Parameters<typeof startRun>[0]["config"],
    dataset,
    datasetRef: ref,
    preprocessing,
    name: job.name,
    ...(job.limit !== null && { limit: job.limit }),
  });
}

port.on("message", (m: TrainThreadCommand) => {
  if (m.type === "abort") {
    controller?.abort(m.reason);
    return;
  }
  const current = new AbortController();
  controller = current;
  train(m.job, current.signal)
    .then(() => post({ type: "finished" }))
    .catch((err: unknown) => {
      const hint = (err as { hint?: string }).hint;
      post({ type: "refused", message: `${(err as Error)?.message ?? String(err)}${hint ? `; ${hint}` : ""}` });
    })
    .finally(() => {
      if (controller === current) controller = null;
    });
});
