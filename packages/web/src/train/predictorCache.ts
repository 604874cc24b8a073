import { createPredictor, type Model, type Predictor } from "@layerlab/engine";
import type { PredictorCounts } from "./protocol";

interface Entry<P> {
  model: Model;
  predictor: P;
  /** Calls in flight; a dropped entry is disposed when the last one ends. */
  users: number;
  dropped: boolean;
}

/**
 * The compiled eval passes of each run's model in this worker, built on the
 * first prediction and reused until the run's model changes (a new run or a
 * newly loaded checkpoint under the same id) or the run is dropped. Holds
 * compiled programs only: the weights stay with their run.
 */
export class PredictorCache<P extends { dispose(): void } = Predictor> {
  readonly #entries = new Map<string, Entry<P>>();
  #built = 0;
  #live = 0;
  readonly #build: (model: Model) => P;

  /** `build` compiles a model's passes: the eval passes by default, or others (the saliency passes). */
  constructor(build: (model: Model) => P = createPredictor as unknown as (model: Model) => P) {
    this.#build = build;
  }

  /**
   * Calls `use` with run `runId`'s predictor for `model`, building it when the
   * run has none or one of another model (that one is released). The
   * predictor stays alive until `use` settles, even if the run is dropped meanwhile.
   */
  async with<T>(runId: string, model: Model, use: (predictor: P) => Promise<T>): Promise<T> {
    let entry = this.#entries.get(runId);
    if (entry?.model !== model) {
      this.drop(runId);
      entry = { model, predictor: this.#build(model), users: 0, dropped: false };
      this.#built++;
      this.#live++;
      this.#entries.set(runId, entry);
    }
    entry.users++;
    try {
      return await use(entry.predictor);
    } finally {
      entry.users--;
      if (entry.dropped && entry.users === 0) this.#dispose(entry);
    }
  }

  /** Releases run `runId`'s predictor (at once, or when its calls in flight end). */
  drop(runId: string): void {
    const entry = this.#entries.get(runId);
    if (!entry) return;
    this.#entries.delete(runId);
    entry.dropped = true;
    if (entry.users === 0) this.#dispose(entry);
  }

  #dispose(entry: Entry<P>): void {
    entry.predictor.dispose();
    this.#live--;
  }

  /** Predictors built since the worker started, and those not yet disposed. */
  counts(): PredictorCounts {
    return { built: this.#built, live: this.#live };
  }
}
