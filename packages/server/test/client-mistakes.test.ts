// A client's mistake gets a 4xx that names it, never "500 internal error":
// predicting before there are weights, bad uploads, impossible metrics, a
// missing normalization; and uploads are stored byte for byte.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, SMALL_RUN, startTestServer, type TestServer, waitForStatus } from "./helpers";
import { browserRun, constantWeights, finishedEvents, greyPng, putArtifact, softmax } from "./model-fixtures";

let server: TestServer;
let base: string;
let image: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
  image = await greyPng();
});
afterAll(async () => {
  await server?.close();
});

const predict = (id: string) => api(base, "POST", `/api/runs/${id}/predict`, { image, preprocess: "resize" });
const runFolder = (id: string) => join(server.dataDir, "runs", id);
const logitsFor = (spec: unknown, first: number) =>
  (spec as { classes: string[] }).classes.map((_, i) => (i === 0 ? first : 0));

describe("predicting before there is a model", () => {
  it("a server run answers 409 'no weights yet' from its start until its first checkpoint, then predicts", async () => {
    const created = await api(base, "POST", "/api/runs", { ...SMALL_RUN, config: { epochs: 2, batchSize: 32 } });
    const id = created.body.id;
    const seen = new Set<number>();
    for (;;) {
      const res = await predict(id);
      seen.add(res.status);
      expect([200, 409], JSON.stringify(res.body)).toContain(res.status);
      if (res.status === 409) expect(res.body.error).toMatch(/is queued|has no weights yet/);
      if (res.status === 200) break;
      const run = (await api(base, "GET", `/api/runs/${id}`)).body;
      expect(run.status).not.toBe("failed");
    }
    await waitForStatus(base, id, ["succeeded"]);

    // A run that stopped before writing its weights is in the same place: 409, for predictions and exports.
    const dir = runFolder(id);
    const moved = ["weights.best.safetensors", "weights.safetensors"].filter((f) => existsSync(join(dir, f)));
    for (const f of moved) renameSync(join(dir, f), join(dir, `${f}.away`));
    const none = await predict(id);
    expect(none.status).toBe(409);
    expect(none.body.error).toMatch(/has no weights yet.*PUT \/api\/runs\/.*weights\.safetensors/);
    const onnx = await api(base, "GET", `/api/runs/${id}/artifacts/model.onnx`);
    expect(onnx.status).toBe(409);
    expect(onnx.body.error).toMatch(/has no weights yet/);
    for (const f of moved) renameSync(join(dir, `${f}.away`), join(dir, f));
    expect((await predict(id)).status).toBe(200);
  });

  it("a finished browser run without uploaded weights answers 409, and /api/predict passes over it", async () => {
    const { id } = await browserRun(base, { testAccuracy: 1 });
    const res = await predict(id);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatch(/has no weights yet/);
    // The best run by test accuracy has no model; the best one that has a model answers instead.
    const { id: usable, spec } = await browserRun(base, { testAccuracy: 0.3 });
    expect((await putArtifact(base, usable, "normalization.json", '{"mean":[0],"std":[1]}')).status).toBe(201);
    expect(
      (await putArtifact(base, usable, "weights.safetensors", constantWeights(spec, logitsFor(spec, 3)))).status,
    ).toBe(201);
    const best = await api(base, "POST", "/api/predict", { image, preprocess: "resize", executor: "browser" });
    expect(best.status, JSON.stringify(best.body)).toBe(200);
    expect(best.body.runId).not.toBe(id);
  });
});

describe("uploaded weights are checked against the run's model", () => {
  it("refuses garbage and weights of another model with a 400 naming the tensor and both shapes, storing nothing", async () => {
    const { id, spec } = await browserRun(base);
    const garbage = await putArtifact(base, id, "weights.safetensors", new Uint8Array([1, 2, 3]));
    expect(garbage.status).toBe(400);
    expect(garbage.body.error).toMatch(/weights\.safetensors does not fit run .*: not a safetensors file/);

    const other = {
      ...(spec as object),
      layers: [{ kind: "flatten" }, { kind: "dense", units: 3 }, { kind: "dense", units: 2 }],
    };
    const otherWeights = constantWeights({ ...other, classes: ["a", "b"] }, [0, 0]);
    const mismatched = await putArtifact(base, id, "weights.safetensors", otherWeights);
    expect(mismatched.status).toBe(400);
    expect(mismatched.body.error).toMatch(/'1\.weight' has shape \[3, \d+\], the model expects \[\d+, \d+\]/);

    expect((await api(base, "GET", `/api/runs/${id}/artifacts/weights.safetensors`)).status).toBe(404);
    expect((await predict(id)).status).toBe(409);
  });

  it("answers 409 naming the file when weights on disk do not fit (written before uploads were checked)", async () => {
    const { id, spec } = await browserRun(base);
    expect((await putArtifact(base, id, "weights.safetensors", constantWeights(spec, logitsFor(spec, 1)))).status).toBe(
      201,
    );
    expect((await putArtifact(base, id, "normalization.json", '{"mean":[0],"std":[1]}')).status).toBe(201);
    writeFileSync(join(runFolder(id), "weights.safetensors"), "not weights at all");
    const res = await predict(id);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatch(/weights\.safetensors does not fit its model .*upload the weights this run trained/);
    const onnx = await api(base, "GET", `/api/runs/${id}/artifacts/model.onnx`);
    expect(onnx.status).toBe(409);
    expect(onnx.body.error).toMatch(/cannot be exported: the weights cannot be read/);
  });
});

describe("the normalization a prediction needs", () => {
  it("answers 409 naming normalization.json when it is missing, 400 for one that does not fit, and predicts once it is there", async () => {
    const { id, spec } = await browserRun(base);
    const logits = logitsFor(spec, 2);
    expect((await putArtifact(base, id, "weights.safetensors", constantWeights(spec, logits))).status).toBe(201);
    const missing = await predict(id);
    expect(missing.status).toBe(409);
    expect(missing.body.error).toMatch(/normalization\.json is missing.*PUT \/api\/runs\/.*normalization\.json/);

    const bad = await putArtifact(base, id, "normalization.json", '{"mean":[0.5],"std":[0]}');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/normalization\.json does not fit .*positive std/);
    const notJson = await putArtifact(base, id, "normalization.json", "mean=0.5");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/normalization\.json is not JSON/);

    expect((await putArtifact(base, id, "normalization.json", '{"mean":[0.5],"std":[0.2]}')).status).toBe(201);
    const ok = await predict(id);
    expect(ok.status).toBe(200);
    const want = softmax(logits);
    for (const [i, p] of (ok.body.probabilities as number[]).entries()) expect(p).toBeCloseTo(want[i]!, 5);
  });
});

describe("impossible metrics in a browser run's events", () => {
  it("refuses an accuracy above 1 or a negative loss with a 400 naming the field, and the run is not ranked by it", async () => {
    const { id } = await browserRun(base, { finish: false });
    const [start, epoch, done] = finishedEvents(1e300);
    const huge = await api(base, "POST", `/api/runs/${id}/events`, { events: [start, epoch, done] });
    expect(huge.status).toBe(400);
    expect(huge.body.error).toMatch(/^events\[2\]\.testAccuracy is 1e\+300: an accuracy is a fraction in \[0, 1\]/);
    const negative = await api(base, "POST", `/api/runs/${id}/events`, {
      events: [start, epoch, finishedEvents(0.9, -5)[2]],
    });
    expect(negative.status).toBe(400);
    expect(negative.body.error).toMatch(/^events\[2\]\.testLoss is -5: a loss is never negative/);
    const run = (await api(base, "GET", `/api/runs/${id}`)).body;
    expect(run.status).toBe("queued");
    expect(run.metrics?.testAccuracy ?? null).toBeNull();
  });
});

describe("uploads are stored as sent", () => {
  it("keeps text/plain, JSON and untyped bodies byte for byte", async () => {
    const { id } = await browserRun(base);
    const csv = "epoch,train_loss\n1,0.5\n";
    expect((await putArtifact(base, id, "metrics.csv", csv, "text/plain")).status).toBe(201);
    const json = '{ "train_loss" : [0.5] }\n';
    expect((await putArtifact(base, id, "metrics.json", json, "application/json")).status).toBe(201);
    const norm = '{"mean": [0.5], "std": [0.25]}';
    expect((await putArtifact(base, id, "normalization.json", norm, "text/plain; charset=utf-8")).status).toBe(201);
    expect(readFileSync(join(runFolder(id), "metrics.csv"), "utf8")).toBe(csv);
    expect(readFileSync(join(runFolder(id), "metrics.json"), "utf8")).toBe(json);
    expect(readFileSync(join(runFolder(id), "normalization.json"), "utf8")).toBe(norm);
    expect(await (await fetch(`${base}/api/runs/${id}/artifacts/metrics.csv`)).text()).toBe(csv);
  });
});
