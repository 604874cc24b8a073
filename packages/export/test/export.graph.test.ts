// Graph models (residual adds, projection shortcuts, concats of branches and of vectors) exported to every
// format and run by real PyTorch (model.py + model.pt, and model.py + weights.safetensors; one process for
// all models) and by onnxruntime-node: logits within 1e-4 of LayerLab's, the same predicted class, the
// ONNX graph joining with Add and Concat nodes, and the native and .pt files importing back exactly.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { activations, buildModel, loadWeights, predict } from "@layerlab/engine";
import { appliedActivation } from "@layerlab/spec";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportModel, importNative, importTorch, ONNX_INPUT, ONNX_OUTPUT } from "../src";
import { GRAPH_CASES } from "./graph-cases";
import {
  engineProbabilities,
  inputsFor,
  maxAbsDiff,
  PYTHON,
  requireTorch,
  TOLERANCE,
  type TrainedModel,
  trainedModel,
} from "./support";

const ORACLE = fileURLToPath(new URL("./fixtures/torch_graph_check.py", import.meta.url));
const N = 6;

interface TorchSummary {
  name: string;
  keys: string[];
  safetensors_missing: string[];
  safetensors_unexpected: string[];
  safetensors_max_diff: number;
  script_max_diff: number;
  trace_max_diff: number;
}

interface Prepared {
  model: TrainedModel;
  x: Float32Array;
  files: Map<string, Uint8Array>;
  logits: Float32Array;
  probabilities: Float32Array;
  torchLogits: Float32Array;
  torch: TorchSummary;
  onnxProbabilities: Float32Array;
}
const prepared = new Map<string, Prepared>();
let root = "";

/** The last layer's output, the logits, as the engine computes them in eval mode. */
async function engineLogits(m: TrainedModel, x: Float32Array, n: number): Promise<Float32Array> {
  return (await activations(m.model, m.vars, x, n)).at(-1)!.data;
}

async function onnxProbabilities(onnx: Uint8Array, x: Float32Array, shape: readonly number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const out = await session.run({ [ONNX_INPUT]: new ort.Tensor("float32", x, [N, ...shape]) });
    return out[ONNX_OUTPUT]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

beforeAll(async () => {
  requireTorch();
  root = mkdtempSync(join(tmpdir(), "layerlab-export-graph-"));
  const manifest: object[] = [];
  for (const [i, c] of GRAPH_CASES.entries()) {
    const model = await trainedModel(c.spec, 41 + i);
    const x = inputsFor(c.spec, N, 141 + i);
    const files = new Map(
      exportModel({ spec: c.spec, weights: model.weights, format: "all" }).map((f) => [f.name, f.bytes]),
    );
    const dir = join(root, c.name);
    mkdirSync(dir);
    for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
    writeFileSync(join(dir, "x.bin"), new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    manifest.push({ name: c.name.replace(/\W/g, "_"), dir, n: N });
    prepared.set(c.name, {
      model,
      x,
      files,
      logits: await engineLogits(model, x, N),
      probabilities: await engineProbabilities(model, x, N),
      onnxProbabilities: await onnxProbabilities(files.get("model.onnx")!, x, c.spec.input.shape),
      torchLogits: new Float32Array(),
      torch: {} as TorchSummary,
    });
  }
  writeFileSync(join(root, "manifest.json"), JSON.stringify({ cases: manifest }));
  const r = spawnSync(PYTHON, [ORACLE, join(root, "manifest.json")], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`the PyTorch oracle failed:\n${r.stderr}`);
  const summaries = JSON.parse(r.stdout) as TorchSummary[];
  for (const [i, c] of GRAPH_CASES.entries()) {
    const bytes = readFileSync(join(root, c.name, "logits.bin"));
    const p = prepared.get(c.name)!;
    p.torchLogits = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    p.torch = summaries[i]!;
  }
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The index of the largest value of each row of `[rows, columns]`. */
function argmaxRows(values: Float32Array, columns: number): number[] {
  return Array.from({ length: values.length / columns }, (_, r) => {
    const row = Array.from(values.subarray(r * columns, (r + 1) * columns));
    return row.indexOf(Math.max(...row));
  });
}

const CASES = GRAPH_CASES.map((c) => [c.name, c] as const);

describe("PyTorch runs the exported graph as LayerLab does", () => {
  it.each(CASES)("%s: model.py + model.pt give the same logits (≤ 1e-4) and classes", (name, c) => {
    const { logits, torchLogits } = prepared.get(name)!;
    const classes = c.spec.classes.length;
    expect(torchLogits.length).toBe(N * classes);
    expect(maxAbsDiff(torchLogits, logits)).toBeLessThanOrEqual(TOLERANCE);
    expect(argmaxRows(torchLogits, classes)).toEqual(argmaxRows(logits, classes));
    // Not a coincidence of flat outputs: two inputs' logits differ by 100× the tolerance or more.
    expect(maxAbsDiff(logits.subarray(0, classes), logits.subarray(classes, 2 * classes))).toBeGreaterThan(
      100 * TOLERANCE,
    );
  });

  it.each(CASES)("%s: the state_dict keys are the spec's `<i>.<name>`, merges hold none", (name, c) => {
    const { model, torch } = prepared.get(name)!;
    const counters = c.spec.layers.flatMap((l, i) => (l.kind === "batchNorm" ? [`${i}.num_batches_tracked`] : []));
    const engineKeys = [...Object.keys(model.vars.params), ...Object.keys(model.vars.state)];
    expect([...torch.keys].sort()).toEqual([...engineKeys, ...counters].sort());
    const mergeIndices = c.spec.layers.flatMap((l, i) => (l.kind === "add" || l.kind === "concat" ? [i] : []));
    expect(mergeIndices.length).toBeGreaterThan(0);
    for (const i of mergeIndices) expect(torch.keys.filter((k) => k.startsWith(`${i}.`))).toEqual([]);
  });

  it.each(CASES)("%s: weights.safetensors loads into model.py with PyTorch's names, same logits", (name) => {
    const { torch } = prepared.get(name)!;
    expect(torch.safetensors_unexpected).toEqual([]);
    expect(torch.safetensors_missing.every((k) => k.endsWith(".num_batches_tracked"))).toBe(true);
    expect(torch.safetensors_max_diff).toBe(0);
  });

  it.each(CASES)("%s: torch.jit.script and torch.jit.trace compile forward() and agree ≤ 1e-5", (name) => {
    const { torch } = prepared.get(name)!;
    expect(torch.script_max_diff).toBeLessThanOrEqual(1e-5);
    expect(torch.trace_max_diff).toBeLessThanOrEqual(1e-5);
  });
});

describe("onnxruntime runs the exported graph as LayerLab does", () => {
  it.each(CASES)("%s: probabilities within 1e-4, the same classes", (name, c) => {
    const { probabilities, onnxProbabilities } = prepared.get(name)!;
    const classes = c.spec.classes.length;
    expect(onnxProbabilities.length).toBe(N * classes);
    expect(maxAbsDiff(onnxProbabilities, probabilities)).toBeLessThanOrEqual(TOLERANCE);
    expect(argmaxRows(onnxProbabilities, classes)).toEqual(argmaxRows(probabilities, classes));
  });

  it.each(CASES)("%s: joins with one Add per extra input of each add and one Concat per concat", (name, c) => {
    const ops = onnxNodeOps(prepared.get(name)!.files.get("model.onnx")!);
    const adds = c.spec.layers.filter((l) => l.kind === "add").length;
    const addInputs = c.spec.layers.reduce((n, l) => n + (l.kind === "add" ? l.inputs!.length - 1 : 0), 0);
    const concats = c.spec.layers.filter((l) => l.kind === "concat").length;
    // GELU's exact form adds one Add of its own per GELU.
    const gelus = c.spec.layers.filter((l) => appliedActivation(l) === "gelu").length;
    expect(adds + concats).toBeGreaterThan(0);
    expect(ops.filter((o) => o === "Add").length).toBe(addInputs + gelus);
    expect(ops.filter((o) => o === "Concat").length).toBe(concats);
  });
});

describe("graph exports import back", () => {
  it.each(CASES)(
    "%s: spec.json + weights.safetensors and spec.json + model.pt predict bit-identically",
    async (name) => {
      const { files, x, probabilities } = prepared.get(name)!;
      const spec = files.get("spec.json")!;
      for (const back of [
        importNative(spec, files.get("weights.safetensors")!),
        importTorch(spec, files.get("model.pt")!),
      ]) {
        const model = buildModel(back.spec);
        const got = await predict(model, loadWeights(model, back.weights), x, N);
        expect(Array.from(got)).toEqual(Array.from(probabilities));
      }
    },
  );
});

describe("a graph that does not fit together", () => {
  const exportLayers = (layers: unknown[]) => () =>
    exportModel({
      spec: { input: { shape: [5] }, layers, classes: ["x", "y"] },
      weights: new Uint8Array(),
      format: "all",
    });

  it("is refused, naming the layer and the unknown id it takes", () => {
    const bad = [
      { kind: "dense", id: "a", units: 4 },
      { kind: "add", inputs: ["a", "nope"] },
      { kind: "dense", units: 2 },
    ];
    expect(exportLayers(bad)).toThrow(
      /^export: add #2 takes 'nope', but no layer has that id — name one of: 'input', 'a'$/,
    );
  });

  it("is refused, naming the add whose inputs differ in shape", () => {
    const bad = [
      { kind: "dense", id: "a", units: 4 },
      { kind: "dense", id: "b", units: 3 },
      { kind: "add", inputs: ["a", "b"] },
      { kind: "dense", units: 2 },
    ];
    expect(exportLayers(bad)).toThrow(
      /^export: add #3 cannot take its input \[4\] and \[3\]; fix the model in the builder/,
    );
  });
});

describe("a graph export's README", () => {
  it("says forward() follows the spec's inputs and how ONNX joins, and keeps the `i.weight` names", () => {
    const readme = new TextDecoder().decode(prepared.get("graph-vectors")!.files.get("README.md")!);
    expect(readme).toContain("## A graph, not a chain");
    expect(readme).toContain("(1 add, 1 concat)");
    expect(readme).toContain("`forward()` passes each module the outputs the spec names");
    expect(readme).toContain("an add is an `Add` node and a concat a `Concat` along axis 1");
  });
});

/**
 * The op types of an ONNX file's nodes, in order: ModelProto field 7 is the graph, GraphProto field 1 a
 * node, NodeProto field 4 its op_type (onnx/onnx.proto). Reads just enough protobuf to get there.
 */
function onnxNodeOps(bytes: Uint8Array): string[] {
  const graph = fields(bytes).find((f) => f.field === 7)!.bytes!;
  return fields(graph)
    .filter((f) => f.field === 1)
    .map((node) => new TextDecoder().decode(fields(node.bytes!).find((f) => f.field === 4)!.bytes!));
}

/** The top-level fields of a protobuf message; length-delimited ones keep their bytes. */
function fields(bytes: Uint8Array): { field: number; bytes?: Uint8Array }[] {
  const out: { field: number; bytes?: Uint8Array }[] = [];
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const wire = key & 7;
    const field = Math.floor(key / 8);
    if (wire === 0) varint();
    else if (wire === 5) at += 4;
    else if (wire === 1) at += 8;
    else if (wire === 2) {
      const length = varint();
      out.push({ field, bytes: bytes.subarray(at, at + length) });
      at += length;
      continue;
    } else throw new Error(`protobuf wire type ${wire} is not expected in an ONNX file`);
    out.push({ field });
  }
  return out;
}
