// No answer comes from an older model than the one on disk: predictions and
// exports follow a run's checkpoint through uploads, more epochs and rewrites.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeSafetensors, encodeSafetensors } from "@layerlab/engine/safetensors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, SMALL_RUN, startTestServer, type TestServer, waitForStatus } from "./helpers";
import { browserRun, constantWeights, greyPng, putArtifact, softmax } from "./model-fixtures";

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

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const predict = (id: string) => api(base, "POST", `/api/runs/${id}/predict`, { image, preprocess: "resize" });

function expectClose(got: number[], want: number[]): void {
  expect(got).toHaveLength(want.length);
  for (const [i, g] of got.entries()) expect(g).toBeCloseTo(want[i]!, 5);
}

/** GETs an artifact as bytes with its headers. */
async function download(id: string, name: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(`${base}/api/runs/${id}/artifacts/${name}`);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

describe("a browser run's predictions and exports follow its uploaded weights", () => {
  it("answers with the weights uploaded last, every time they change", async () => {
    const { id, spec } = await browserRun(base);
    const classes = (spec as { classes: string[] }).classes.length;
    const a = Array.from({ length: classes }, (_, i) => i / 2);
    const b = Array.from({ length: classes }, (_, i) => (classes - i) * 0.7);
    expect((await putArtifact(base, id, "normalization.json", '{"mean":[0.5],"std":[0.25]}')).status).toBe(201);

    expect((await putArtifact(base, id, "weights.safetensors", constantWeights(spec, a, 1))).status).toBe(201);
    const first = await predict(id);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expectClose(first.body.probabilities, softmax(a));

    // Same size, same run: only the file's identity tells the two apart.
    expect((await putArtifact(base, id, "weights.safetensors", constantWeights(spec, b, 2))).status).toBe(201);
    const second = await predict(id);
    expectClose(second.body.probabilities, softmax(b));

    expect((await putArtifact(base, id, "weights.safetensors", constantWeights(spec, a, 3))).status).toBe(201);
    expectClose((await predict(id)).body.probabilities, softmax(a));
  });

  it("exports the weights on disk now, made again when they change, and says which checkpoint and epoch it holds", async () => {
    const { id, spec } = await browserRun(base);
    const classes = (spec as { classes: string[] }).classes.length;
    const a = Array.from({ length: classes }, (_, i) => i);
    const b = Array.from({ length: classes }, (_, i) => -i);
    const weightsA = constantWeights(spec, a, 4);
    const weightsB = constantWeights(spec, b, 7);
    const lastBias = `${(spec as { layers: unknown[] }).layers.length - 1}.bias`;
    const biasOf = (bytes: Uint8Array) => Array.from(decodeSafetensors(bytes).tensors[lastBias]!.data as Float32Array);
    const manifest = () =>
      JSON.parse(readFileSync(join(server.dataDir, "runs", id, "export", "manifest.json"), "utf8"));

    expect((await putArtifact(base, id, "weights.safetensors", weightsA)).status).toBe(201);
    const onnxA = await download(id, "model.onnx");
    expect(onnxA.status).toBe(200);
    expect(onnxA.headers.get("x-layerlab-checkpoint")).toBe("weights.safetensors");
    expect(onnxA.headers.get("x-layerlab-checkpoint-epoch")).toBe("4");
    expect(onnxA.headers.get("x-layerlab-checkpoint-sha256")).toBe(sha256(weightsA));
    expect(biasOf((await download(id, "export.safetensors")).bytes)).toEqual(a);
    expect(manifest().checkpoint).toMatchObject({ file: "weights.safetensors", epoch: 4, sha256: sha256(weightsA) });

    expect((await putArtifact(base, id, "weights.safetensors", weightsB)).status).toBe(201);
    const exportedB = await download(id, "export.safetensors");
    expect(exportedB.headers.get("x-layerlab-checkpoint-epoch")).toBe("7");
    expect(biasOf(exportedB.bytes)).toEqual(b);
    const onnxB = await download(id, "model.onnx");
    expect(onnxB.headers.get("x-layerlab-checkpoint-sha256")).toBe(sha256(weightsB));
    expect(onnxB.bytes.equals(onnxA.bytes)).toBe(false);
    expect(manifest().checkpoint).toMatchObject({ epoch: 7, sha256: sha256(weightsB), bytes: weightsB.length });
    expect(manifest().formats).toEqual(["onnx", "safetensors"]);
    const readme = readFileSync(join(server.dataDir, "runs", id, "export", "README.md"), "utf8");
    expect(readme).toContain(`\`weights.safetensors\` (saved after epoch 7; SHA-256 ${sha256(weightsB)})`);
  });
});

describe("a server run's predictions and exports follow its checkpoints", () => {
  it("never answers 500 while it trains, and answers with a checkpoint rewritten in place (same size and mtime)", async () => {
    const created = await api(base, "POST", "/api/runs", { ...SMALL_RUN, config: { epochs: 3, batchSize: 32 } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // While it trains: "no weights yet" until its first checkpoint, then answers.
    for (;;) {
      const res = await predict(id);
      expect([200, 409], JSON.stringify(res.body)).toContain(res.status);
      const run = (await api(base, "GET", `/api/runs/${id}`)).body;
      if (!["queued", "running"].includes(run.status)) break;
    }
    await waitForStatus(base, id, ["succeeded"]);
    const dir = join(server.dataDir, "runs", id);
    const file = existsSync(join(dir, "weights.best.safetensors")) ? "weights.best.safetensors" : "weights.safetensors";
    const path = join(dir, file);
    // A whole-second mtime that utimes can set again exactly.
    const mtime = new Date("2030-01-01T00:00:00Z");
    utimesSync(path, mtime, mtime);
    const before = await predict(id);
    expect(before.status).toBe(200);
    const onnxBefore = await download(id, "model.onnx");
    expect(onnxBefore.status).toBe(200);
    expect(Number(onnxBefore.headers.get("x-layerlab-checkpoint-epoch"))).toBeGreaterThanOrEqual(1);

    // Rewrite the checkpoint in use as a resumed run would: a new file renamed into place. Here it
    // differs only in one bias and the epoch digit, so size and (restored) mtime stay the same.
    const old = statSync(path);
    const { tensors, metadata } = decodeSafetensors(readFileSync(path));
    const lastBias = Object.keys(tensors)
      .filter((n) => n.endsWith(".bias"))
      .sort((x, y) => Number.parseInt(y, 10) - Number.parseInt(x, 10))[0]!;
    const winner = (before.body.probabilities as number[]).indexOf(Math.min(...before.body.probabilities));
    (tensors[lastBias]!.data as Float32Array)[winner] = 100;
    const rewritten = encodeSafetensors(tensors, { ...metadata, "layerlab.epoch": "9" });
    expect(rewritten.length).toBe(old.size);
    writeFileSync(`${path}.tmp`, rewritten);
    renameSync(`${path}.tmp`, path);
    utimesSync(path, mtime, mtime);
    expect(statSync(path).mtimeMs).toBe(old.mtimeMs);

    const after = await predict(id);
    expect(after.status).toBe(200);
    expect(after.body.probabilities[winner]).toBeGreaterThan(0.999);
    expect(after.body.top[0].class).toBe(after.body.classes[winner]);

    const onnx = await download(id, "model.onnx");
    expect(onnx.status).toBe(200);
    expect(onnx.headers.get("x-layerlab-checkpoint")).toBe(file);
    expect(onnx.headers.get("x-layerlab-checkpoint-epoch")).toBe("9");
    expect(onnx.headers.get("x-layerlab-checkpoint-sha256")).toBe(sha256(rewritten));
    expect(onnx.bytes.equals(onnxBefore.bytes)).toBe(false);
  });
});
