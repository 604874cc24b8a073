// Parity of the exported formats: every layer kind and template is exported to
// model.py + model.pt and to model.onnx, and each is run outside LayerLab: by
// real PyTorch (Debian's python3-torch, one process for all models, with
// torch.load(weights_only=True) and load_state_dict(strict=True)), by
// onnxruntime-node, and for a few models by onnxruntime-web's wasm backend in
// Node. Their softmax must match LayerLab's predict within 1e-4 (max abs
// difference). Both formats are checked in one file because building each
// model and running LayerLab's predict on it (compiling every model) costs
// more than all the exporting and running outside.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportModel, ONNX_INPUT, ONNX_OUTPUT } from "../src";
import {
  type ExportCase,
  engineProbabilities,
  inputsFor,
  LAYER_CASES,
  maxAbsDiff,
  PYTHON,
  TEMPLATE_CASES,
  TOLERANCE,
  trainedModel,
} from "./support";

const ORACLE = fileURLToPath(new URL("./fixtures/torch_predict.py", import.meta.url));
const CASES: ExportCase[] = [...LAYER_CASES, ...TEMPLATE_CASES];
const N = 5;
const NORMALIZATION = { mean: [0.25], std: [0.5] };

type Summary = {
  name: string;
  keys: string[];
  dtypes: Record<string, string>;
  classes: string[];
  training: boolean;
  preprocessed?: number[];
};
type Prepared = {
  x: Float32Array;
  /** LayerLab's probabilities on `x`. */
  want: Float32Array;
  stateKeys: string[];
  onnx: Uint8Array;
  /** What PyTorch computed and said about the exported model.pt. */
  torch?: { got: Float32Array; summary: Summary };
};
const prepared = new Map<string, Prepared>();
let root = "";

beforeAll(async () => {
  ortWeb.env.wasm.numThreads = 1;
  root = mkdtempSync(join(tmpdir(), "layerlab-export-parity-"));
  const manifest: object[] = [];
  for (const [i, c] of CASES.entries()) {
    const m = await trainedModel(c.spec, 11 + i);
    const x = inputsFor(c.spec, N, 101 + i);
    const channels = c.spec.input.shape.length === 3 ? c.spec.input.shape[0]! : 1;
    const normalization = channels === NORMALIZATION.mean.length ? NORMALIZATION : undefined;
    const files = exportModel({ spec: c.spec, weights: m.weights, format: "pytorch", normalization });
    const dir = join(root, c.name);
    mkdirSync(dir);
    for (const f of files) writeFileSync(join(dir, f.name), f.bytes, { flag: "w" });
    writeFileSync(join(dir, "x.bin"), new Uint8Array(x.buffer));
    const entry: Record<string, unknown> = { name: c.name.replace(/\W/g, "_"), dir, n: N };
    if (normalization) entry.pixels = Array.from({ length: x.length / N }, (_, p) => (p * 37) % 256);
    manifest.push(entry);
    const onnx = exportModel({ spec: c.spec, weights: m.weights, format: "onnx" }).find(
      (f) => f.name === "model.onnx",
    )!;
    prepared.set(c.name, {
      x,
      want: await engineProbabilities(m, x, N),
      stateKeys: [...Object.keys(m.vars.params), ...Object.keys(m.vars.state)],
      onnx: onnx.bytes,
    });
  }
  writeFileSync(join(root, "manifest.json"), JSON.stringify({ cases: manifest }));
  const r = spawnSync(PYTHON, [ORACLE, join(root, "manifest.json")], { encoding: "utf8", maxBuffer: 64 << 20 });
  // Fails (never skips) when PyTorch cannot be imported: its stderr then says so.
  if (r.status !== 0) throw new Error(`the PyTorch oracle (${PYTHON} with torch, required here) failed:\n${r.stderr}`);
  const summaries = JSON.parse(r.stdout) as Summary[];
  CASES.forEach((c, i) => {
    const bytes = readFileSync(join(root, c.name, "probabilities.bin"));
    const got = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    prepared.get(c.name)!.torch = { got, summary: summaries[i]! };
  });
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("PyTorch export agrees with LayerLab", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s: probabilities within 1e-4", (name, c) => {
    const { want, torch } = prepared.get(name)!;
    expect(torch!.got.length).toBe(N * c.spec.classes.length);
    expect(maxAbsDiff(want, torch!.got)).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    "%s: state_dict keys are the spec's, batch norms count batches",
    (name, c) => {
      const { torch, stateKeys } = prepared.get(name)!;
      const summary = torch!.summary;
      const counters = c.spec.layers.flatMap((l, i) => (l.kind === "batchNorm" ? [`${i}.num_batches_tracked`] : []));
      expect([...summary.keys].sort()).toEqual([...stateKeys, ...counters].sort());
      for (const k of counters) expect(summary.dtypes[k]).toBe("torch.int64");
      expect(summary.classes).toEqual(c.spec.classes);
      expect(summary.training).toBe(false);
    },
  );
});

describe("model.py's preprocess", () => {
  it("normalises uint8 pixels as data-core does: (p/255 − mean)/std", () => {
    const { summary } = prepared.get("template-cnn-mnist")!.torch!;
    const pixels = Array.from({ length: 28 * 28 }, (_, p) => (p * 37) % 256);
    const want = pixels.map((p) => (p / 255 - 0.25) / 0.5);
    expect(summary.preprocessed).toBeDefined();
    expect(maxAbsDiff(summary.preprocessed!, want)).toBeLessThan(1e-6);
  });
});

describe("the batch norm case is not trivially passing", () => {
  it("its running statistics moved away from the defaults (0 mean, 1 var)", async () => {
    const c = LAYER_CASES.find((x) => x.name === "batch-norm-2d")!;
    const m = await trainedModel(c.spec, 3);
    const mean = (await m.vars.state["1.running_mean"]!.ref.data()) as Float32Array;
    const variance = (await m.vars.state["1.running_var"]!.ref.data()) as Float32Array;
    expect(Math.max(...mean.map(Math.abs))).toBeGreaterThan(0.05);
    expect(Math.max(...variance.map((v) => Math.abs(v - 1)))).toBeGreaterThan(0.05);
  });
});

type Ort = typeof ortNode;

async function run(ort: Ort, c: ExportCase): Promise<{ got: Float32Array; dims: readonly number[] }> {
  const { onnx, x } = prepared.get(c.name)!;
  const session = await ort.InferenceSession.create(onnx);
  try {
    const input = new ort.Tensor("float32", x, [N, ...c.spec.input.shape]);
    const out = (await session.run({ [ONNX_INPUT]: input }))[ONNX_OUTPUT]!;
    return { got: out.data as Float32Array, dims: out.dims };
  } finally {
    await session.release();
  }
}

describe("ONNX export in onnxruntime-node agrees with LayerLab", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s: probabilities within 1e-4", async (_name, c) => {
    const { got, dims } = await run(ortNode, c);
    expect(dims).toEqual([N, c.spec.classes.length]);
    expect(maxAbsDiff(prepared.get(c.name)!.want, got)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe("ONNX export in onnxruntime-web (wasm backend, in Node) agrees with LayerLab", () => {
  const WEB_CASES = ["dense-activations", "conv-same-even-kernel", "batch-norm-2d", "template-lenet-5-cifar"];
  it.each(WEB_CASES)("%s: probabilities within 1e-4", async (name) => {
    const c = CASES.find((x) => x.name === name)!;
    const { got, dims } = await run(ortWeb as unknown as Ort, c);
    expect(dims).toEqual([N, c.spec.classes.length]);
    expect(maxAbsDiff(prepared.get(name)!.want, got)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe("the ONNX graph's interface", () => {
  it("has a named input with a symbolic batch dimension and a probabilities output", async () => {
    const c = CASES.find((x) => x.name === "template-cnn-mnist")!;
    const session = await ortNode.InferenceSession.create(prepared.get(c.name)!.onnx);
    try {
      expect(session.inputNames).toEqual([ONNX_INPUT]);
      expect(session.outputNames).toEqual([ONNX_OUTPUT]);
      const meta = session.inputMetadata[0]!;
      expect(meta.isTensor && meta.shape).toEqual(["batch", 1, 28, 28]);
      // A batch of one runs too: the batch dimension is not fixed to the test's N.
      const one = new ortNode.Tensor("float32", prepared.get(c.name)!.x.slice(0, 28 * 28), [1, 1, 28, 28]);
      const out = (await session.run({ [ONNX_INPUT]: one }))[ONNX_OUTPUT]!;
      const sum = Array.from(out.data as Float32Array).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
    } finally {
      await session.release();
    }
  });
});
