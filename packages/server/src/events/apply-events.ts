import type { TrainEvent } from "@layerlab/spec";
import type { Registry } from "../db/registry";
import type { RunStatus } from "../db/schema";
import type { EventHub } from "./hub";

/** The status a terminal event puts a run in. */
export const STATUS_AFTER: Partial<Record<TrainEvent["type"], RunStatus>> = {
  done: "succeeded",
  aborted: "aborted",
  error: "failed",
  diverged: "diverged",
};

/**
 * Stores a batch of a run's events, folds them into the run's row (status,
 * per-epoch metrics, summary) and only then relays them to live clients.
 * Used for worker events and for browser-posted events alike.
 */
export async function applyEvents(
  registry: Registry,
  hub: EventHub,
  runId: string,
  events: readonly TrainEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await registry.insertEvents(runId, events);
  for (const e of events) {
    if (e.type === "start") {
      await registry.updateRun(runId, { started_at: e.time });
      await registry.transitionRun(runId, ["queued", "interrupted"], "running");
    } else if (e.type === "epoch") {
      await registry.upsertEpochMetrics(runId, e);
      await registry.updateRun(runId, {
        epochs_done: e.epoch,
        train_loss: e.trainLoss,
        train_accuracy: e.trainAccuracy,
        val_loss: e.valLoss,
        val_accuracy: e.valAccuracy,
      });
    } else {
      const status = STATUS_AFTER[e.type];
      if (status) {
        const patch: Parameters<Registry["updateRun"]>[1] = { finished_at: e.time };
        if (e.type === "done")
          Object.assign(patch, { test_loss: e.testLoss, test_accuracy: e.testAccuracy, train_seconds: e.seconds });
        if (e.type === "error" || e.type === "diverged") patch.error = e.message;
        if (e.type === "aborted") patch.error = e.reason;
        await registry.transitionRun(runId, ["queued", "running", "interrupted"], status, patch);
      }
    }
  }
  hub.publish(runId, events);
}
