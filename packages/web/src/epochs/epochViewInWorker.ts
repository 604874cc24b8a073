/// <reference lib="webworker" />
import { disposeVars, epochView, type Model, type ModelVars } from "@layerlab/engine";
import type { FromWorker, RunNormalization, ToWorker } from "../train/protocol";

/**
 * The worker's side of `epochView`: the held model of one kept epoch over the
 * page's test images — what the server computes for its runs, here for runs
 * kept in this browser. `held` is the model with new references to its
 * weights (disposed here), or why there is none.
 */
export async function epochViewInWorker(
  msg: Extract<ToWorker, { type: "epochView" }>,
  held: { model: Model; normalization: RunNormalization; vars: ModelVars } | string,
  post: (message: FromWorker, transfer?: Transferable[]) => void,
): Promise<void> {
  if (typeof held === "string") {
    post({ type: "epochView", id: msg.id, view: null, error: held });
    return;
  }
  try {
    const view = await epochView(held.model, held.vars, msg.set, {
      normalization: held.normalization,
      sampleIndices: msg.sampleIndices,
      limit: msg.limit,
    });
    const { confusion, count, accuracy, loss } = view.evaluation;
    const answer = { sampleProbabilities: view.sampleProbabilities, confusion, count, accuracy, loss };
    post({ type: "epochView", id: msg.id, view: answer }, [answer.sampleProbabilities.buffer as ArrayBuffer]);
  } catch (err) {
    post({ type: "epochView", id: msg.id, view: null, error: err instanceof Error ? err.message : String(err) });
  } finally {
    disposeVars(held.vars);
  }
}
