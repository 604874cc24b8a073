// Importing a model trained elsewhere (an export bundle's files) as a finished
// run, over a real socket: spec.json with weights.safetensors or a PyTorch
// state_dict (.pt) — LayerLab's own model.pt and one saved by real PyTorch —
// becomes a succeeded run with executor "import" that predicts, exports and
// lists; files that do not make a model are refused with what to send instead.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportModel } from "@layerlab/export";
import { buildTemplate } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, readSse, startTestServer, type TestServer } from "./helpers";
import { constantWeights, greyPng, softmax } from "./model-fixtures";

const PYTHON = "/usr/bin/python3";
const CLASSES = ["circle", "square", "triangle"];
const SPEC = buildTemplate("mlp", { inputShape: [1, 28, 28], classes: CLASSES });
const LOGITS = [0.5, 2, -1];
const NORMALIZATION = { mean: [0.2], std: [0.3] };
const text = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

let server: TestServer;
let base = "";
let scratch = "";
let image = "";

/** POSTs files (name → bytes) and fields as multipart to /api/runs/import. */
async function importFiles(files: Record<string, Uint8Array>, fields: Record<string, string> = { dataset: "shapes" }) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const [name, bytes] of Object.entries(files)) form.append("files", new Blob([bytes.slice()]), name);
  const res = await fetch(`${base}/api/runs/import`, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function probabilitiesOf(id: string): Promise<number[]> {
  const res = await api(base, "POST", `/api/runs/${id}/predict`, { image, preprocess: "resize" });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.probabilities;
}

const expectClose = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  for (const [i, g] of got.entries()) expect(g).toBeCloseTo(want[i]!, 5);
};

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
  scratch = mkdtempSync(join(tmpdir(), "layerlab-import-"));
  image = await greyPng();
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("POST /api/runs/import", () => {
  it("imports spec.json + weights.safetensors + normalization.json as a succeeded run that predicts and exports", async () => {
    const res = await importFiles(
      {
        "spec.json": text(SPEC),
        "weights.safetensors": constantWeights(SPEC, LOGITS),
        "normalization.json": text(NORMALIZATION),
      },
      { dataset: "shapes", name: "trained elsewhere" },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      status: "succeeded",
      executor: "import",
      name: "trained elsewhere",
      dataset: "shapes",
    });
    expect(res.body.tags).toContain("imported");
    const id = res.body.id as string;
    expectClose(await probabilitiesOf(id), softmax(LOGITS));
    const modelPy = await fetch(`${base}/api/runs/${id}/artifacts/model.py`);
    expect(modelPy.status).toBe(200);
    expect(await modelPy.text()).toContain("MEAN = (0.2,)");
    const normalization = await api(base, "GET", `/api/runs/${id}/artifacts/normalization.json`);
    expect(normalization.body).toEqual(NORMALIZATION);
    const listed = await api(base, "GET", "/api/runs?executor=import");
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.runs.map((r: { id: string }) => r.id)).toContain(id);
    // The page follows a run by its events: an imported run has started and is done.
    const events = await readSse(`${base}/api/runs/${id}/events`, { until: (m) => m.some((e) => e.event === "done") });
    expect(events.map((e) => e.event)).toEqual(["start", "log", "done"]);
  });

  it("imports the export's model.pt with model.py's MEAN and STD", async () => {
    const bundle = exportModel({
      spec: SPEC,
      weights: constantWeights(SPEC, LOGITS),
      normalization: NORMALIZATION,
      format: "all",
    });
    const file = (name: string) => bundle.find((f) => f.name === name)!.bytes;
    const res = await importFiles({
      "spec.json": file("spec.json"),
      "model.pt": file("model.pt"),
      "model.py": file("model.py"),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expectClose(await probabilitiesOf(res.body.id), softmax(LOGITS));
    const normalization = await api(base, "GET", `/api/runs/${res.body.id}/artifacts/normalization.json`);
    expect(normalization.body).toEqual(NORMALIZATION);
  });

  it("imports a state_dict that real PyTorch saved after changing the model", async () => {
    const bundle = exportModel({
      spec: SPEC,
      weights: constantWeights(SPEC, LOGITS),
      normalization: NORMALIZATION,
      format: "pytorch",
    });
    for (const f of bundle) writeFileSync(join(scratch, f.name), f.bytes);
    const tuned = [-1, 0.25, 3];
    const last = SPEC.layers.length - 1;
    const script = [
      "import sys, torch",
      `sys.path.insert(0, ${JSON.stringify(scratch)})`,
      "from model import load",
      "model = load()",
      `model[${last}].bias.data = torch.tensor(${JSON.stringify(tuned)})`,
      `torch.save(model.state_dict(), ${JSON.stringify(join(scratch, "tuned.pt"))})`,
    ].join("\n");
    const r = spawnSync(PYTHON, ["-c", script], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const res = await importFiles({
      "spec.json": text(SPEC),
      "tuned.pt": new Uint8Array(readFileSync(join(scratch, "tuned.pt"))),
      "normalization.json": text(NORMALIZATION),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expectClose(await probabilitiesOf(res.body.id), softmax(tuned));
  });
});

describe("what an import refuses, and what it asks for instead", () => {
  it("weights with no normalization and no normalization.json or model.py", async () => {
    const res = await importFiles({ "spec.json": text(SPEC), "weights.safetensors": constantWeights(SPEC, LOGITS) });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/records no normalization; send normalization\.json/);
  });

  it("a .pt holding a pickled nn.Module, by the class it names", async () => {
    const path = join(scratch, "module.pt");
    const r = spawnSync(PYTHON, ["-c", `import torch; torch.save(torch.nn.Linear(2, 2), ${JSON.stringify(path)})`]);
    expect(r.status).toBe(0);
    const res = await importFiles({
      "spec.json": text(SPEC),
      "module.pt": new Uint8Array(readFileSync(path)),
      "normalization.json": text(NORMALIZATION),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/torch\.nn\.modules\.linear\.Linear, which is not allowed.*state_dict/);
  });

  it("weights of another model, naming the tensor", async () => {
    const other = buildTemplate("mlp", { inputShape: [1, 28, 28], classes: ["a", "b"] });
    const res = await importFiles({
      "spec.json": text(SPEC),
      "weights.safetensors": constantWeights(other, [0, 0]),
      "normalization.json": text(NORMALIZATION),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/do not make a model: .*has shape/);
  });

  it("a dataset whose images do not fit the model", async () => {
    const res = await importFiles(
      {
        "spec.json": text(SPEC),
        "weights.safetensors": constantWeights(SPEC, LOGITS),
        "normalization.json": text(NORMALIZATION),
      },
      { dataset: "cifar10" },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/dataset cifar10 has 3×32×32 images; choose the dataset it was trained on/);
  });

  it("no spec, and files that are not part of a bundle", async () => {
    const noSpec = await importFiles({ "weights.safetensors": constantWeights(SPEC, LOGITS) });
    expect(noSpec.status).toBe(400);
    expect(noSpec.body.error).toMatch(/no spec\.json was sent/);
    const stray = await importFiles({ "spec.json": text(SPEC), "notes.txt": text("hi") });
    expect(stray.status).toBe(400);
    expect(stray.body.error).toMatch(/notes\.txt is not part of a model bundle/);
  });

  it("a run created with executor import through POST /api/runs", async () => {
    const res = await api(base, "POST", "/api/runs", { template: "mlp", dataset: "shapes", executor: "import" });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/POST \/api\/runs\/import/);
  });
});
