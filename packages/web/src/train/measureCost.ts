/// <reference lib="webworker" />
import { measureLayerCost } from "@layerlab/engine";
import type { Backend } from "@layerlab/spec";
import type { FromWorker, ToWorker } from "./protocol";

/**
 * The worker's side of `measureCost`: times each layer of the spec and the
 * model's inference latency on the worker's backend, telling the page after
 * each layer, then answers with the measurement (or why there is none).
 */
export async function measureCostInWorker(
  msg: Extract<ToWorker, { type: "measureCost" }>,
  engine: Promise<{ backend: Backend; threads: number }>,
  post: (message: FromWorker) => void,
): Promise<void> {
  try {
    const where = await engine;
    const cost = await measureLayerCost(msg.spec, {
      batchSize: msg.batchSize,
      onProgress: (done, total) => post({ type: "costProgress", id: msg.id, done, total }),
    });
    post({ type: "cost", id: msg.id, cost, engine: where });
  } catch (err) {
    post({ type: "cost", id: msg.id, cost: null, error: err instanceof Error ? err.message : String(err) });
  }
}
