// GET /api/runs/:id/test-predictions: every test image's predicted class, as a
// run's test.json records it or — for a run older than that record — evaluated
// from its saved weights, agreeing with what the runner's own test evaluation
// predicted, and kept in its test.json afterwards.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestPredictions } from "@layerlab/api";
import type { TestReport } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, SMALL_RUN, startTestServer, type TestServer, waitForStatus } from "./helpers";
import { browserRun, constantWeights, putArtifact } from "./model-fixtures";

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(async () => {
  await server?.close();
});

const testPredictions = (id: string) => api(base, "GET", `/api/runs/${id}/test-predictions`);
const testJsonPath = (id: string) => join(server.dataDir, "runs", id, "test.json");

/** The shapes test split has 200 images of each of its 3 classes. */
const SHAPES_TEST_COUNT = 600;

/** A test.json as a run before per-image predictions wrote it. */
function oldTestReport(classes: string[]): TestReport {
  return {
    loss: 1,
    accuracy: 1 / 3,
    count: SHAPES_TEST_COUNT,
    classes,
    confusion: classes.map(() => classes.map((_, c) => (c === 2 ? 200 : 0))),
    perClass: classes.map((c) => ({ class: c, precision: 0, recall: 0, support: 200 })),
  };
}

describe("a run's per-image test predictions", () => {
  it("re-evaluates a server run whose test.json predates them: the same answers the runner recorded", {
    timeout: 120_000,
  }, async () => {
    const created = await api(base, "POST", "/api/runs", {
      ...SMALL_RUN,
      config: { epochs: 1, batchSize: 32 },
      ifExists: "new",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { id } = created.body;
    await waitForStatus(base, id, ["succeeded"]);
    const recorded = JSON.parse(readFileSync(testJsonPath(id), "utf8")) as TestReport;
    expect(recorded.predictions).toHaveLength(SHAPES_TEST_COUNT);

    const first = await testPredictions(id);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(TestPredictions.parse(first.body)).toMatchObject({ source: "recorded", checkpoint: null, count: 600 });
    expect(first.body.predictions).toEqual(recorded.predictions);

    // As a run recorded before test.json held predictions.
    const { predictions: _dropped, ...old } = recorded;
    writeFileSync(testJsonPath(id), JSON.stringify(old));
    const evaluated = TestPredictions.parse((await testPredictions(id)).body);
    expect(evaluated).toMatchObject({
      runId: id,
      dataset: "shapes",
      source: "evaluated",
      checkpoint: "weights.safetensors",
      count: SHAPES_TEST_COUNT,
      classes: recorded.classes,
    });
    expect(evaluated.predictions).toEqual(recorded.predictions);
    // Kept: the next answer reads them from test.json, which keeps its other fields.
    const kept = JSON.parse(readFileSync(testJsonPath(id), "utf8")) as TestReport;
    expect(kept.predictions).toEqual(recorded.predictions);
    expect(kept.confusion).toEqual(recorded.confusion);
    expect(TestPredictions.parse((await testPredictions(id)).body).source).toBe("recorded");
    const detail = await api(base, "GET", `/api/runs/${id}`);
    const listed = detail.body.artifacts.find((a: { name: string }) => a.name === "test.json");
    expect(listed.bytes).toBe(readFileSync(testJsonPath(id)).byteLength);
  });

  it("evaluates a browser run's uploaded weights with its uploaded normalisation", { timeout: 60_000 }, async () => {
    const { id, spec } = await browserRun(base);
    const classes = (spec as { classes: string[] }).classes;
    // Zero weights and this last bias: every image is class 2.
    expect((await putArtifact(base, id, "weights.safetensors", constantWeights(spec, [0, 1, 3]))).status).toBe(201);
    expect((await putArtifact(base, id, "normalization.json", '{"mean":[0.5],"std":[0.25]}')).status).toBe(201);
    expect((await putArtifact(base, id, "test.json", JSON.stringify(oldTestReport(classes)))).status).toBe(201);
    const answer = await testPredictions(id);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const parsed = TestPredictions.parse(answer.body);
    expect(parsed.source).toBe("evaluated");
    expect(parsed.predictions).toEqual(new Array(SHAPES_TEST_COUNT).fill(2));
  });

  it("says why it has none: no weights, still training, no such run", { timeout: 60_000 }, async () => {
    const { id, spec } = await browserRun(base);
    const classes = (spec as { classes: string[] }).classes;
    expect((await putArtifact(base, id, "test.json", JSON.stringify(oldTestReport(classes)))).status).toBe(201);
    const noWeights = await testPredictions(id);
    expect(noWeights.status).toBe(409);
    expect(noWeights.body.error).toBe(
      `run ${id} has no per-image test predictions (its test.json predates per-image predictions) and no weights to compute them from; train it again (or resume it) so that it records them`,
    );

    const { id: training } = await browserRun(base, { finish: false });
    const started = await api(base, "POST", `/api/runs/${training}/events`, {
      events: [
        {
          seq: 0,
          time: 1,
          type: "start",
          backend: "wasm",
          epochs: 1,
          stepsPerEpoch: 1,
          trainSamples: 1,
          valSamples: 0,
          paramCount: 1,
        },
      ],
    });
    expect(started.status).toBe(202);
    const running = await testPredictions(training);
    expect(running.status).toBe(409);
    expect(running.body.error).toMatch(/is running: .* ask again once it has finished$/);

    expect((await testPredictions("run-nothing1-00000000")).status).toBe(404);
    expect((await testPredictions("not-a-run")).status).toBe(404);
  });
});
