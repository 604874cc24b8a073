import { loadServerModel } from "../draw/serverModel";
import { type LocalRun, trainer } from "../train/trainer";

/**
 * Makes sure the page's engine worker holds `run`'s model, so that saliency
 * maps of its test images can be computed there: the weights its results
 * came with (a browser run), else the server's checkpoint (a server run). A
 * browser run without weights in its results is still training in this tab,
 * and its worker holds it already.
 */
export function loadRunModel(run: LocalRun): Promise<void> {
  const { weights, normalization } = run.results ?? {};
  if (weights && normalization) {
    return trainer.loadModel(run.id, run.studio.spec, async () => ({ weights: weights.slice(), normalization }));
  }
  if (run.where === "server") return loadServerModel(run.id, run.studio.spec);
  return Promise.resolve();
}
