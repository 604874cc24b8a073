import { type TrainEvent, type TrainEventOf, TrainEvent as TrainEventSchema } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { train } from "../src/train";
import { mnistSubset } from "./helpers/data";

// The training options a learner sets in the form change what the loop does: the step schedule's
// milestones change the rate the steps use, and early stopping ends the run and says why.

const mlp = {
  input: { shape: [1, 28, 28] },
  layers: [{ kind: "flatten" }, { kind: "dense", units: 16, activation: "relu" }, { kind: "dense", units: 10 }],
  classes: "0123456789".split(""),
};

async function eventsOf(run: AsyncIterable<TrainEvent>): Promise<TrainEvent[]> {
  const events: TrainEvent[] = [];
  for await (const e of run) events.push(e);
  return events;
}

function only<T extends TrainEvent["type"]>(events: TrainEvent[], type: T): TrainEventOf<T>[] {
  return events.filter((e) => e.type === type) as TrainEventOf<T>[];
}

describe("train: the step schedule's milestones", () => {
  it("multiplies the rate by the factor after each milestone epoch, in batch and epoch events", async () => {
    const dataset = await mnistSubset(128, 16);
    const run = train({
      spec: mlp,
      config: {
        learningRate: 0.01,
        schedule: { name: "step", gamma: 0.5, milestones: [1, 3] },
        batchSize: 32,
        epochs: 4,
        validationSplit: 0,
      },
      dataset,
      logEvery: 1,
    });
    const events = await eventsOf(run);
    run.dispose();
    expect(only(events, "epoch").map((e) => e.learningRate)).toEqual([0.01, 0.005, 0.005, 0.0025]);
    const firstBatchOf = (epoch: number) => only(events, "batch").find((b) => b.epoch === epoch)!.learningRate;
    expect([1, 2, 3, 4].map(firstBatchOf)).toEqual([0.01, 0.005, 0.005, 0.0025]);
  });
});

describe("train: early stopping", () => {
  it("ends the run after `patience` epochs without improvement and says why in the done event", async () => {
    const dataset = await mnistSubset(256, 16);
    const run = train({
      spec: mlp,
      config: {
        batchSize: 32,
        epochs: 10,
        validationSplit: 0.25,
        // No change of the loss is as large as 100, so no epoch after the first counts as an improvement.
        earlyStopping: { metric: "val_loss", patience: 2, minDelta: 100 },
      },
      dataset,
    });
    const events = await eventsOf(run);
    run.dispose();
    expect(only(events, "epoch")).toHaveLength(3);
    const done = events.at(-1) as TrainEventOf<"done">;
    expect(TrainEventSchema.parse(done)).toEqual(done);
    expect(done).toMatchObject({ type: "done", stoppedEarly: true, epochs: 10 });
    expect(done.stopReason).toBe(
      "Stopped early after epoch 3 of 10: validation loss did not improve by more than 100 for 2 epochs in a row (patience 2).",
    );
  });

  it("leaves stopReason out of a run that trains every epoch", async () => {
    const dataset = await mnistSubset(128, 16);
    const run = train({ spec: mlp, config: { batchSize: 32, epochs: 1, validationSplit: 0.25 }, dataset });
    const done = (await eventsOf(run)).at(-1) as TrainEventOf<"done">;
    run.dispose();
    expect(done.stoppedEarly).toBe(false);
    expect("stopReason" in done).toBe(false);
  });
});
