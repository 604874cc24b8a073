// Run folders written before graph models: their spec.json says "layerlab.model/1". A model from such a
// folder (a real one, trained by the runner) imports as a run whose stored spec is read as /2, and run
// folders of the server's own whose spec.json still says /1 predict and report as they did.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunView } from "@layerlab/api";
import { generateShapes } from "@layerlab/data-core";
import { type DatasetRef, loadRunModel, predictImages, startRun } from "@layerlab/runner";
import { buildTemplate, MODEL_FORMAT, MODEL_FORMAT_V1 } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDir } from "../src/runs/run-files";
import { api, SMALL_RUN, startTestServer, type TestServer, waitForStatus } from "./helpers";
import { greyPng } from "./model-fixtures";

const shapesOptions = { size: 28, countPerClass: 20, seed: 4 };
const root = mkdtempSync(join(tmpdir(), "layerlab-v1-folder-"));
const oldFolder = join(root, "old-run");
let server: TestServer;
let image = "";
/** What the runner predicts for the grey image from the old folder: the answer the server must give. */
let expected: number[] = [];

/** POSTs files (name → bytes) as multipart to /api/runs/import for the built-in shapes. */
async function importFiles(files: Record<string, Uint8Array>) {
  const form = new FormData();
  form.append("dataset", "shapes");
  for (const [name, bytes] of Object.entries(files)) form.append("files", new Blob([bytes.slice()]), name);
  const res = await fetch(`${server.url}/api/runs/import`, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Partial<RunView> & { error?: string } };
}

async function predicted(id: string): Promise<number[]> {
  const res = await api(server.url, "POST", `/api/runs/${id}/predict`, { image, preprocess: "resize" });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.probabilities;
}

function expectClose(got: number[], want: number[]) {
  expect(got).toHaveLength(want.length);
  for (const [i, g] of got.entries()) expect(g).toBeCloseTo(want[i]!, 5);
}

/** Rewrites a folder's spec.json as a LayerLab from before graphs wrote it: the same chain, tagged /1. */
function tagAsV1(dir: string): void {
  const spec = JSON.parse(readFileSync(join(dir, "spec.json"), "utf8"));
  writeFileSync(join(dir, "spec.json"), `${JSON.stringify({ ...spec, format: MODEL_FORMAT_V1 }, null, 2)}\n`);
}

beforeAll(async () => {
  const dataset = generateShapes(shapesOptions);
  const datasetRef: DatasetRef = { kind: "builtin", name: "shapes", shapes: shapesOptions };
  const spec = buildTemplate(
    "simple-nn",
    { inputShape: [...dataset.shape], classes: [...dataset.classes] },
    { hidden: [8] },
  );
  const summary = await startRun({
    spec,
    config: { epochs: 1, batchSize: 16, learningRate: 0.01, seed: 2 },
    dataset,
    datasetRef,
    dir: oldFolder,
  });
  expect(summary.status).toBe("succeeded");
  tagAsV1(oldFolder);
  image = await greyPng();
  const loaded = await loadRunModel(oldFolder);
  try {
    const bytes = Buffer.from(image.slice(image.indexOf(",") + 1), "base64");
    const [answer] = await predictImages(loaded, [{ source: "grey.png", bytes }]);
    expected = answer!.probabilities.map((p) => p.probability);
  } finally {
    loaded.dispose();
  }
  server = await startTestServer();
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("a run folder whose spec.json says layerlab.model/1", () => {
  let id = "";

  it("imports as a run whose spec reads as /2, and predicts what the runner predicts from the old folder", async () => {
    const specText = readFileSync(join(oldFolder, "spec.json"));
    expect(JSON.parse(specText.toString()).format).toBe(MODEL_FORMAT_V1);
    const res = await importFiles({
      "spec.json": specText,
      "weights.safetensors": readFileSync(join(oldFolder, "weights.safetensors")),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    id = res.body.id!;
    expect(res.body.spec?.format).toBe(MODEL_FORMAT);
    expect(res.body.spec?.layers).toEqual(JSON.parse(specText.toString()).layers);
    const stored = JSON.parse(readFileSync(join(runDir(server.dataDir, id), "spec.json"), "utf8"));
    expect(stored.format).toBe(MODEL_FORMAT);
    expect(expected.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expectClose(await predicted(id), expected);
  });

  it("keeps predicting after the imported run's own folder is tagged /1 again", async () => {
    expect(id).not.toBe("");
    tagAsV1(runDir(server.dataDir, id));
    // The model is reloaded from the changed spec.json (the cache is keyed on the files), read as /2.
    expectClose(await predicted(id), expected);
  });

  it("reports and predicts a run the server trained, once its folder's spec.json says /1", {
    timeout: 180_000,
  }, async () => {
    const run = { ...SMALL_RUN, limit: 100, config: { epochs: 1, batchSize: 32 }, ifExists: "new" };
    const created = await api(server.url, "POST", "/api/runs", run);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const trained = created.body.id as string;
    await waitForStatus(server.url, trained, ["succeeded"], 170_000);
    const before = await predicted(trained);
    tagAsV1(runDir(server.dataDir, trained));
    expectClose(await predicted(trained), before);
    const report = await fetch(`${server.url}/api/runs/${trained}/artifacts/report.html`);
    expect(report.status).toBe(200);
    const html = await report.text();
    expect(html).toContain('<section id="model">');
    expect(html).toContain("<td>dense</td>");
  });
});
