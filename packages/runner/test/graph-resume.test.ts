import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateShapes } from "@layerlab/data-core";
import { decodeSafetensors } from "@layerlab/engine";
import {
  basicBlock,
  buildTemplate,
  LayerStack,
  MODEL_FORMAT,
  MODEL_FORMAT_V1,
  ModelSpec,
  type TrainEvent,
} from "@layerlab/spec";
import { afterAll, describe, expect, it } from "vitest";
import { type DatasetRef, loadRunModel, type RunMetrics, resumeRun, startRun } from "../src";

// The run folder, checkpoints and resume are the same for graphs as for chains: a residual model killed
// after an epoch resumes to exactly the weights of a run that was never stopped.

const shapesOptions = { size: 12, countPerClass: 24, seed: 2 };
const dataset = generateShapes(shapesOptions);
const datasetRef: DatasetRef = { kind: "builtin", name: "shapes", shapes: shapesOptions };
const data = { inputShape: [...dataset.shape], classes: [...dataset.classes] };
const config = { epochs: 2, batchSize: 16, learningRate: 0.01, seed: 5 };
const root = mkdtempSync(join(tmpdir(), "layerlab-graph-resume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const json = <T>(dir: string, name: string): T => JSON.parse(readFileSync(join(dir, name), "utf8")) as T;
const tensors = (dir: string, name: string) => decodeSafetensors(new Uint8Array(readFileSync(join(dir, name)))).tensors;

function expectSameTensors(dirA: string, dirB: string, name: string) {
  const a = tensors(dirA, name);
  const b = tensors(dirB, name);
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const key of Object.keys(a))
    expect(Buffer.from(b[key]!.data.buffer).equals(Buffer.from(a[key]!.data.buffer))).toBe(true);
}

/** Trains `spec` uninterrupted into `reference`, copying the folder aside once epoch 1's checkpoint is complete. */
async function referenceRun(spec: ModelSpec, reference: string, afterEpoch1: string) {
  const summary = await startRun({
    spec,
    config,
    dataset,
    datasetRef,
    dir: reference,
    onEvent: (e: TrainEvent) => {
      // The "last" checkpoint event comes after every file of that epoch is in place: the state a kill leaves.
      if (e.type === "checkpoint" && e.kind === "last" && e.epoch === 1)
        cpSync(reference, afterEpoch1, { recursive: true });
    },
  });
  expect(summary.status).toBe("succeeded");
}

async function expectResumesExactly(reference: string, killed: string) {
  const summary = await resumeRun(killed, { dataset });
  expect(summary.status).toBe("succeeded");
  expectSameTensors(reference, killed, "weights.safetensors");
  expectSameTensors(reference, killed, "weights.best.safetensors");
  expect(json<RunMetrics>(killed, "metrics.json").train_loss).toEqual(
    json<RunMetrics>(reference, "metrics.json").train_loss,
  );
  expect(json<RunMetrics>(killed, "metrics.json").test_acc).toBe(json<RunMetrics>(reference, "metrics.json").test_acc);
}

/** A small residual net: a stem and one block whose shortcut is a strided 1×1 projection with batch norm. */
function residualSpec(): ModelSpec {
  const s = new LayerStack(data.inputShape);
  s.conv(4, 3, { padding: "same", bias: false });
  s.add({ kind: "batchNorm" });
  s.add({ kind: "activation", fn: "relu", id: "stem" });
  basicBlock(s, { id: "block", filters: 8, stride: 2 });
  s.add({ kind: "globalAvgPool" });
  s.dense(data.classes.length);
  return ModelSpec.parse({
    format: MODEL_FORMAT,
    input: { shape: data.inputShape },
    layers: s.layers,
    classes: data.classes,
  });
}

describe("a residual model's run", () => {
  const spec = residualSpec();
  const reference = join(root, "residual");
  const killed = join(root, "residual-killed");

  it("keeps its graph in spec.json (ids, inputs, the add) and names parameters by layer index", async () => {
    expect(spec.layers.some((l) => l.kind === "add")).toBe(true);
    await referenceRun(spec, reference, killed);
    const written = json<ModelSpec>(reference, "spec.json");
    expect(written.format).toBe(MODEL_FORMAT);
    expect(written.layers).toEqual(spec.layers);
    const projection = spec.layers.findIndex((l) => l.kind === "conv2d" && l.kernel === 1);
    expect(projection).toBeGreaterThan(0);
    expect(Object.keys(tensors(reference, "weights.safetensors"))).toContain(`${projection}.weight`);
  });

  it("resumes after a kill at an epoch end to exactly the weights of the uninterrupted run", async () => {
    await expectResumesExactly(reference, killed);
    const loaded = await loadRunModel(killed);
    // The loaded model is wired as a graph: the add takes the main path and the shortcut.
    expect(loaded.model.sources.filter((s) => s.length === 2)).toHaveLength(1);
    loaded.dispose();
  });
});

describe("a run folder written before graphs (layerlab.model/1)", () => {
  const spec = buildTemplate("simple-nn", data, { hidden: [8] });
  const reference = join(root, "chain");
  const killed = join(root, "chain-v1");

  it("loads and resumes, exactly as the same run would today", async () => {
    await referenceRun(spec, reference, killed);
    // The spec.json an older LayerLab wrote: the same chain, tagged /1.
    writeFileSync(join(killed, "spec.json"), JSON.stringify({ ...spec, format: MODEL_FORMAT_V1 }, null, 2));
    await expectResumesExactly(reference, killed);
    const loaded = await loadRunModel(killed);
    expect(loaded.model.spec.format).toBe(MODEL_FORMAT);
    expect(loaded.model.spec.layers).toEqual(spec.layers);
    loaded.dispose();
  });
});
