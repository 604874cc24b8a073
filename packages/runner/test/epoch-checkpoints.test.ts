import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateShapes } from "@layerlab/data-core";
import { buildModel, decodeSafetensors, disposeVars, initBackend, loadWeights, varsToHost } from "@layerlab/engine";
import { buildTemplate } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatasetRef, epochCheckpointPath, listEpochCheckpoints, resumeRun, startRun } from "../src";

/*
 * Per-epoch weights in a run folder: a 5-epoch run keeping 3 ends with the
 * weights of epochs 1, 3 and 5 in epochs/, holds its latest epoch while it
 * goes, the last one equals weights.safetensors byte for byte, and a run
 * killed mid-way and resumed ends with the very same files.
 */

const shapesOptions = { size: 12, countPerClass: 30, seed: 3 };
const dataset = generateShapes(shapesOptions);
const datasetRef: DatasetRef = { kind: "builtin", name: "shapes", shapes: shapesOptions };
const spec = buildTemplate(
  "simple-nn",
  { inputShape: [...dataset.shape], classes: [...dataset.classes] },
  { hidden: [8] },
);
const config = { epochs: 5, batchSize: 16, learningRate: 0.02, seed: 5, keepEpochCheckpoints: 3 };
const root = mkdtempSync(join(tmpdir(), "layerlab-epochs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bytes = (path: string) => new Uint8Array(readFileSync(path));

describe("epoch checkpoints of a run folder", () => {
  const reference = join(root, "reference");
  const afterEpoch2 = join(root, "after-epoch-2");
  /** Which epochs the folder held as each epoch's checkpoint was complete. */
  const heldAfter: Record<number, number[]> = {};

  beforeAll(async () => {
    await initBackend();
    const summary = await startRun({
      spec,
      config,
      dataset,
      datasetRef,
      dir: reference,
      onEvent: (e) => {
        if (e.type !== "checkpoint" || e.kind !== "last") return;
        heldAfter[e.epoch] = readdirSync(join(reference, "epochs"))
          .filter((n) => n.endsWith(".safetensors"))
          .map((n) => Number(/\d+/.exec(n)![0]));
        if (e.epoch === 2) cpSync(reference, afterEpoch2, { recursive: true });
      },
    });
    expect(summary.status).toBe("succeeded");
  }, 120_000);

  it("keeps epochs 1, 3 and 5 of 5 with a bound of 3, and the latest one while it trains", async () => {
    expect(await listEpochCheckpoints(reference)).toEqual([1, 3, 5]);
    expect(heldAfter).toEqual({ 1: [1], 2: [1, 2], 3: [1, 3], 4: [1, 3, 4], 5: [1, 3, 5] });
    expect(readdirSync(join(reference, "epochs"))).toEqual([
      "epoch-001.safetensors",
      "epoch-003.safetensors",
      "epoch-005.safetensors",
    ]);
  });

  it("stores each epoch's weights as a loadable checkpoint; the last is weights.safetensors byte for byte", async () => {
    expect(bytes(epochCheckpointPath(reference, 5))).toEqual(bytes(join(reference, "weights.safetensors")));
    const model = buildModel(spec);
    const firstLayer: Float32Array[] = [];
    for (const epoch of [1, 3, 5]) {
      const file = bytes(epochCheckpointPath(reference, epoch));
      expect(decodeSafetensors(file).metadata["layerlab.epoch"]).toBe(String(epoch));
      const vars = loadWeights(model, file);
      try {
        const host = await varsToHost(vars);
        firstLayer.push(host["1.weight"]!.data as Float32Array);
      } finally {
        disposeVars(vars);
      }
    }
    // Training moved the weights between the kept epochs.
    expect(Array.from(firstLayer[0]!)).not.toEqual(Array.from(firstLayer[1]!));
    expect(Array.from(firstLayer[1]!)).not.toEqual(Array.from(firstLayer[2]!));
  });

  it("ends with the same files when killed after epoch 2 and resumed", async () => {
    expect(await listEpochCheckpoints(afterEpoch2)).toEqual([1, 2]);
    const summary = await resumeRun(afterEpoch2, { dataset });
    expect(summary.status).toBe("succeeded");
    expect(await listEpochCheckpoints(afterEpoch2)).toEqual([1, 3, 5]);
    for (const epoch of [1, 3, 5])
      expect(bytes(epochCheckpointPath(afterEpoch2, epoch))).toEqual(bytes(epochCheckpointPath(reference, epoch)));
  }, 120_000);

  it("keeps none with a bound of 0", async () => {
    const dir = join(root, "none");
    const summary = await startRun({
      spec,
      config: { ...config, epochs: 2, keepEpochCheckpoints: 0 },
      dataset,
      datasetRef,
      dir,
    });
    expect(summary.status).toBe("succeeded");
    expect(existsSync(join(dir, "epochs"))).toBe(false);
    expect(await listEpochCheckpoints(dir)).toEqual([]);
  }, 60_000);
});
