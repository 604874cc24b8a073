// The epoch scrubber's routes: a server run keeps its bounded set of epoch
// checkpoints and answers, for each, the predictions on the followed test images
// and the confusion matrix — at the last epoch exactly what its own test
// evaluation recorded; a browser run's uploaded resume points become its epoch
// checkpoints under the same bound; mistakes get the right status and words.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EpochCheckpointList, EpochPredictions } from "@layerlab/api";
import { decodeDataset } from "@layerlab/data-core";
import { encodeResumePoint } from "@layerlab/runner";
import { EPOCH_VIEW_SAMPLES, epochSampleIndices, type TestReport } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, SMALL_RUN, startTestServer, type TestServer, waitForStatus } from "./helpers";
import { constantWeights, putArtifact, softmax } from "./model-fixtures";

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(async () => {
  await server?.close();
});

const epochList = async (id: string) => {
  const res = await api(base, "GET", `/api/runs/${id}/epochs`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return EpochCheckpointList.parse(res.body);
};
const epochView = async (id: string, epoch: number) => {
  const res = await api(base, "GET", `/api/runs/${id}/epochs/${epoch}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return EpochPredictions.parse(res.body);
};

/** The shapes test split as the server serves it. */
async function shapesTest() {
  const res = await fetch(`${base}/api/datasets/shapes/data?split=test`);
  return decodeDataset(new Uint8Array(await res.arrayBuffer())).test;
}

describe("a server run's epochs", () => {
  let id = "";
  let report: TestReport;

  beforeAll(async () => {
    const created = await api(base, "POST", "/api/runs", {
      ...SMALL_RUN,
      config: { epochs: 3, batchSize: 32, learningRate: 0.01, keepEpochCheckpoints: 2 },
      ifExists: "new",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    id = created.body.id;
    await waitForStatus(base, id, ["succeeded"]);
    report = JSON.parse(readFileSync(join(server.dataDir, "runs", id, "test.json"), "utf8")) as TestReport;
  }, 120_000);

  it("lists the epochs its bound keeps and the test images it follows, with their pixels", async () => {
    const list = await epochList(id);
    const test = await shapesTest();
    expect(list).toMatchObject({ runId: id, keep: 2, planned: 3, epochs: [1, 3], testCount: 600, evaluated: 600 });
    expect(list.classes).toEqual(report.classes);
    expect(list.samples.indices).toEqual(epochSampleIndices(test.labels, 3));
    expect(list.samples.indices).toHaveLength(EPOCH_VIEW_SAMPLES);
    expect(list.samples.labels).toEqual(list.samples.indices.map((i) => test.labels[i]));
    const pixels = Buffer.from(list.samples.images, "base64");
    const size = 28 * 28;
    expect(pixels.length).toBe(EPOCH_VIEW_SAMPLES * size);
    const k = 5;
    const i = list.samples.indices[k]!;
    expect(
      Buffer.compare(pixels.subarray(k * size, (k + 1) * size), test.images.subarray(i * size, (i + 1) * size)),
    ).toBe(0);
    expect(list.normalization?.mean).toHaveLength(1);
  });

  it("answers at the last epoch exactly what the run's test evaluation recorded", async () => {
    const view = await epochView(id, 3);
    expect(view.evaluated).toBe(600);
    expect(view.confusion).toEqual(report.confusion);
    expect(view.accuracy).toBeCloseTo(report.accuracy, 6);
    expect(view.samples.map((s) => s.predicted)).toEqual(view.samples.map((s) => report.predictions![s.index]));
    for (const s of view.samples) {
      expect(s.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(s.confidence).toBe(Math.max(...s.probabilities));
    }
    // The same answer again (from the cache) and another epoch's differs: its weights were earlier ones.
    expect(await epochView(id, 3)).toEqual(view);
    const first = await epochView(id, 1);
    expect(first.samples.map((s) => s.probabilities)).not.toEqual(view.samples.map((s) => s.probabilities));
  });

  it("serves each kept epoch's weights; the last epoch's are the run's weights.safetensors", async () => {
    const epoch3 = await fetch(`${base}/api/runs/${id}/epochs/3/weights`);
    expect(epoch3.status).toBe(200);
    const last = await fetch(`${base}/api/runs/${id}/artifacts/weights.safetensors`);
    expect(Buffer.compare(Buffer.from(await epoch3.arrayBuffer()), Buffer.from(await last.arrayBuffer()))).toBe(0);
  });

  it("refuses an epoch it does not keep, a bad epoch and an unknown run, saying which", async () => {
    const notKept = await api(base, "GET", `/api/runs/${id}/epochs/2`);
    expect(notKept.status).toBe(404);
    expect(notKept.body.error).toBe(
      `run ${id} keeps no weights of epoch 2: it keeps epochs 1, 3 (GET /api/runs/${id}/epochs)`,
    );
    expect((await api(base, "GET", `/api/runs/${id}/epochs/2/weights`)).status).toBe(404);
    for (const bad of ["0", "1.5", "two"]) {
      const res = await api(base, "GET", `/api/runs/${id}/epochs/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error).toContain("epoch");
    }
    const unknown = await api(base, "GET", "/api/runs/run-zzzzzzzz-00000000/epochs");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("run run-zzzzzzzz-00000000 does not exist");
  });
});

describe("a browser run's epochs, from its uploaded resume points", () => {
  it("keeps the epoch each resume point ends, within the bound, and runs them with the recorded normalisation", {
    timeout: 60_000,
  }, async () => {
    const created = await api(base, "POST", "/api/runs", {
      ...SMALL_RUN,
      executor: "browser",
      config: { epochs: 5, keepEpochCheckpoints: 3 },
      ifExists: "new",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    const spec = created.body.spec;
    // Epoch e's weights answer class e mod 3 for every image.
    const logitsOf = (epoch: number) => [0, 1, 2].map((c) => (c === epoch % 3 ? 3 : 0));
    const normalization = { mean: [0.5], std: [0.25] };
    const kept: number[][] = [];
    for (let epoch = 1; epoch <= 5; epoch++) {
      const weights = constantWeights(spec, logitsOf(epoch));
      const state = { epochsDone: epoch, bestMetric: null, bestEpoch: null, seconds: epoch, limit: 200, normalization };
      const point = new Uint8Array(encodeResumePoint(weights, weights, state as never));
      const put = await putArtifact(base, id, "optimizer.safetensors", point);
      expect(put.status, JSON.stringify(put.body)).toBe(201);
      kept.push((await epochList(id)).epochs);
    }
    expect(kept).toEqual([[1], [1, 2], [1, 3], [1, 3, 4], [1, 3, 5]]);
    // No normalization.json was uploaded: the one in the resume points is used.
    expect((await epochList(id)).normalization).toEqual(normalization);
    const test = await shapesTest();
    const supports = [0, 1, 2].map((c) => test.labels.filter((l) => l === c).length);
    for (const epoch of [1, 3, 5]) {
      const view = await epochView(id, epoch);
      const answer = epoch % 3;
      expect(view.samples.every((s) => s.predicted === answer)).toBe(true);
      expect(view.samples[0]!.confidence).toBeCloseTo(softmax(logitsOf(epoch))[answer]!, 5);
      expect(view.confusion).toEqual(supports.map((n) => [0, 1, 2].map((c) => (c === answer ? n : 0))));
    }
  });
});
