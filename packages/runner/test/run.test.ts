import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateShapes } from "@layerlab/data-core";
import { decodeSafetensors } from "@layerlab/engine";
import { buildTemplate, type TestReport, type TrainEvent } from "@layerlab/spec";
import { afterAll, describe, expect, it } from "vitest";
import {
  CHECKPOINT_WRITE_ORDER,
  type DatasetRef,
  type RunInfo,
  type RunMetrics,
  readRunEvents,
  resumeRun,
  startRun,
} from "../src";

const shapesOptions = { size: 12, countPerClass: 40, seed: 1 };
const dataset = generateShapes(shapesOptions);
const datasetRef: DatasetRef = { kind: "builtin", name: "shapes", shapes: shapesOptions };
const spec = buildTemplate(
  "simple-nn",
  { inputShape: [...dataset.shape], classes: [...dataset.classes] },
  { hidden: [16] },
);
const config = { epochs: 3, batchSize: 16, learningRate: 0.01, seed: 7 };
const root = mkdtempSync(join(tmpdir(), "layerlab-runner-"));
afterAll(() => (process.env.KEEP ? undefined : rmSync(root, { recursive: true, force: true })));

const json = <T>(dir: string, name: string): T => JSON.parse(readFileSync(join(dir, name), "utf8")) as T;
const tensors = (dir: string, name: string) => decodeSafetensors(new Uint8Array(readFileSync(join(dir, name)))).tensors;

function expectSameTensors(dirA: string, dirB: string, name: string) {
  const a = tensors(dirA, name);
  const b = tensors(dirB, name);
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const key of Object.keys(a))
    expect(Array.from(b[key]!.data as Float32Array)).toEqual(Array.from(a[key]!.data as Float32Array));
}

function expectContiguousSeq(events: TrainEvent[]) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
}

describe("startRun", () => {
  const reference = join(root, "reference");
  const snapshots = { 1: join(root, "after-epoch-1"), 2: join(root, "after-epoch-2") } as Record<number, string>;
  const seen: TrainEvent[] = [];

  it("writes a complete run folder with per-epoch metrics, checkpoints and test results", async () => {
    const summary = await startRun({
      spec,
      config,
      dataset,
      datasetRef,
      dir: reference,
      onEvent: (e) => {
        seen.push(e);
        // The "last" checkpoint event comes after every file of that epoch is in place.
        if (e.type === "checkpoint" && e.kind === "last" && snapshots[e.epoch])
          cpSync(reference, snapshots[e.epoch]!, { recursive: true });
      },
    });
    expect(summary.status).toBe("succeeded");
    expect(summary.epochsDone).toBe(3);

    const metrics = json<RunMetrics>(reference, "metrics.json");
    for (const key of ["train_loss", "train_acc", "val_loss", "val_acc", "lr", "epoch_seconds"] as const) {
      expect(metrics[key]).toHaveLength(3);
    }
    expect(metrics.lr).toEqual([0.01, 0.01, 0.01]);
    for (const acc of [...metrics.train_acc, ...(metrics.val_acc as number[]), metrics.test_acc!]) {
      expect(acc).toBeGreaterThanOrEqual(0);
      expect(acc).toBeLessThanOrEqual(1);
    }
    const csv = readFileSync(join(reference, "metrics.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("epoch,train_loss,train_acc,val_loss,val_acc,lr,epoch_seconds");
    expect(csv).toHaveLength(4);
    expect(Number(csv[2]!.split(",")[1])).toBe(metrics.train_loss[1]);

    const info = json<RunInfo>(reference, "run.json");
    expect(info).toMatchObject({ status: "succeeded", epochsDone: 3, epochs: 3, pid: null, limit: null });
    expect(info.dataset).toMatchObject({
      name: "shapes",
      shape: [1, 12, 12],
      classes: ["circle", "square", "triangle"],
    });
    expect(info.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(info.environment.backend).toBe("wasm");
    expect(info.environment.node).toBe(process.version);
    expect(info.testAccuracy).toBe(metrics.test_acc);
    // The best epoch is the one with the lowest validation loss.
    const valLoss = metrics.val_loss as number[];
    expect(info.bestMetric).toBe(Math.min(...valLoss));
    expect(info.bestEpoch).toBe(valLoss.indexOf(Math.min(...valLoss)) + 1);
    expect(
      decodeSafetensors(new Uint8Array(readFileSync(join(reference, "weights.best.safetensors")))).metadata[
        "layerlab.epoch"
      ],
    ).toBe(String(info.bestEpoch));

    const test = json<TestReport>(reference, "test.json");
    const total = test.confusion.flat().reduce((a, b) => a + b, 0);
    const diagonal = test.confusion.reduce((a, row, i) => a + row[i]!, 0);
    expect(total).toBe(dataset.test.count);
    expect(diagonal / total).toBeCloseTo(test.accuracy, 10);
    expect(test.perClass).toHaveLength(3);
    // Every prediction is recorded, in test order: recounting them rebuilds the confusion matrix.
    expect(test.predictions).toHaveLength(dataset.test.count);
    const recounted = test.confusion.map((row) => row.map(() => 0));
    test.predictions!.forEach((p, i) => {
      recounted[dataset.test.labels[i]!]![p]!++;
    });
    expect(recounted).toEqual(test.confusion);
    // The hidden ReLU layer is looked at for dead units.
    expect(test.deadUnits!.length).toBeGreaterThan(0);
    for (const d of test.deadUnits!) expect(d.fraction).toBeGreaterThanOrEqual(0);

    const events = await readRunEvents(reference);
    expect(events).toEqual(seen);
    expectContiguousSeq(events);
    expect(events.filter((e) => e.type === "epoch")).toHaveLength(3);
    expect(
      events.filter((e) => e.type === "checkpoint" && e.kind === "last").map((e) => (e as { epoch: number }).epoch),
    ).toEqual([1, 2, 3]);
    const done = events.at(-1)!;
    expect(done.type).toBe("done");
    if (done.type === "done")
      expect(done.artifacts).toEqual(expect.arrayContaining(["weights.safetensors", "metrics.json", "test.json"]));
    expect(readdirTmp(reference)).toEqual([]);
  });

  it("refuses a folder that already holds a run", async () => {
    await expect(startRun({ spec, config, dataset, datasetRef, dir: reference })).rejects.toThrow(
      /already holds a run/,
    );
  });

  it("rejects an invalid config before writing anything", async () => {
    const dir = join(root, "bad-config");
    await expect(startRun({ spec, config: { epochs: 0 }, dataset, datasetRef, dir })).rejects.toThrow(/epochs/);
    expect(existsSync(dir)).toBe(false);
  });

  // A kill can land between any two renames of an epoch-end checkpoint (each file is replaced whole).
  // Every such state must resume to exactly the uninterrupted run's result.
  for (let written = 0; written <= CHECKPOINT_WRITE_ORDER.length; written++) {
    it(`resumes bit-exactly after a kill with ${written} of epoch 2's checkpoint files replaced`, async () => {
      const dir = join(root, `crash-${written}`);
      cpSync(snapshots[1]!, dir, { recursive: true });
      for (const name of CHECKPOINT_WRITE_ORDER.slice(0, written)) {
        if (existsSync(join(snapshots[2]!, name))) cpSync(join(snapshots[2]!, name), join(dir, name));
      }
      // The epoch-2 events were appended before its checkpoint; the kill also cut an append short and left a temp file.
      writeFileSync(
        join(dir, "events.jsonl"),
        `${readFileSync(join(snapshots[2]!, "events.jsonl"), "utf8")}{"seq":99,"ty`,
      );
      writeFileSync(join(dir, "weights.safetensors.abc123.tmp"), "partial");

      const summary = await resumeRun(dir, { dataset });
      expect(summary.status).toBe("succeeded");
      expectSameTensors(reference, dir, "weights.safetensors");
      expectSameTensors(reference, dir, "weights.best.safetensors");
      const metrics = json<RunMetrics>(dir, "metrics.json");
      const expected = json<RunMetrics>(reference, "metrics.json");
      expect(metrics.train_loss).toEqual(expected.train_loss);
      expect(metrics.val_acc).toEqual(expected.val_acc);
      expect(metrics.test_acc).toBe(expected.test_acc);
      expect(json<RunInfo>(dir, "run.json")).toMatchObject({ status: "succeeded", epochsDone: 3 });
      const events = await readRunEvents(dir);
      expectContiguousSeq(events);
      const starts = events.filter((e) => e.type === "start");
      expect(starts).toHaveLength(2);
      expect(starts[1]).toMatchObject({ resumedFromEpoch: written >= 2 ? 2 : 1 });
    });
  }

  it("stops in its final test evaluation when aborted there; the resume only evaluates, to the same result", async () => {
    const dir = join(root, "aborted-in-test");
    const controller = new AbortController();
    const stopped = await startRun({
      spec,
      config,
      dataset,
      datasetRef,
      dir,
      signal: controller.signal,
      // Once the last epoch is saved, only the test evaluation is left.
      onEvent: (e) => e.type === "checkpoint" && e.kind === "last" && e.epoch === 3 && controller.abort(),
    });
    expect(stopped.status).toBe("aborted");
    expect(json<RunInfo>(dir, "run.json")).toMatchObject({ status: "aborted", epochsDone: 3 });
    expect(existsSync(join(dir, "test.json"))).toBe(false);
    const summary = await resumeRun(dir, { dataset });
    expect(summary.status).toBe("succeeded");
    expect(json<RunMetrics>(dir, "metrics.json").test_acc).toBe(json<RunMetrics>(reference, "metrics.json").test_acc);
    expectSameTensors(reference, dir, "weights.safetensors");
  });
});

function readdirTmp(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".tmp"));
}
