// Reading .pt state_dicts without a general unpickler: files written by real
// PyTorch (Debian's python3-torch) and by LayerLab's own exporter come back
// tensor for tensor; anything but a state_dict — a pickled nn.Module, a
// checkpoint dict, a pickle that calls os.system, the pre-1.6 format — is
// refused by name. A model.pt changed in PyTorch imports and predicts as
// PyTorch does.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildModel, loadWeights, predict } from "@layerlab/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeTorchStateDict, encodeTorchStateDict, exportModel, importTorch, readModel } from "../src";
import { writeZip } from "../src/zip";
import { readZip } from "../src/zip-read";
import { inputsFor, LAYER_CASES, maxAbsDiff, PYTHON, requireTorch, TOLERANCE, trainedModel } from "./support";

const MAKER = fileURLToPath(new URL("./fixtures/torch_state_dicts.py", import.meta.url));
const BN_CASE = LAYER_CASES.find((c) => c.name === "batch-norm-2d")!;
const CHANNELS = BN_CASE.spec.input.shape[0]!;
const NORMALIZATION = {
  mean: Array.from({ length: CHANNELS }, (_, c) => 0.2 + 0.1 * c),
  std: Array(CHANNELS).fill(0.5),
};
const N = 3;

type Expected = Record<string, Record<string, { dtype: string; shape: number[]; values: number[] }>>;
let root = "";
let bundle = "";
let expected: Expected;
const read = (name: string) => new Uint8Array(readFileSync(join(root, name)));

beforeAll(async () => {
  requireTorch();
  root = mkdtempSync(join(tmpdir(), "layerlab-pt-read-"));
  bundle = join(root, "bundle");
  const m = await trainedModel(BN_CASE.spec, 5);
  const files = exportModel({
    spec: BN_CASE.spec,
    weights: m.weights,
    format: "pytorch",
    normalization: NORMALIZATION,
  });
  mkdirSync(bundle);
  for (const f of files) writeFileSync(join(bundle, f.name), f.bytes);
  const x = inputsFor(BN_CASE.spec, N, 17);
  writeFileSync(join(bundle, "x.bin"), new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  const r = spawnSync(PYTHON, [MAKER, root, bundle], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`the PyTorch fixture maker failed:\n${r.stderr}`);
  expected = JSON.parse(readFileSync(join(root, "expected.json"), "utf8")) as Expected;
}, 300_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("state_dicts written by real PyTorch", () => {
  it.each(["net.pt", "views.pt", "wide.pt"])("%s reads back tensor for tensor, in order", (file) => {
    const got = decodeTorchStateDict(read(file));
    const want = expected[file]!;
    expect(got.map(([k]) => k)).toEqual(Object.keys(want));
    for (const [name, t] of got) {
      const w = want[name]!;
      expect(t.shape, name).toEqual(w.shape);
      expect(t.dtype, name).toBe(w.dtype === "torch.int64" ? "int64" : "float32");
      const values = Array.from(t.data as ArrayLike<number | bigint>, Number);
      // float64 tensors come back as float32: compare at float32's precision.
      expect(maxAbsDiff(values, w.values), name).toBeLessThan(1e-6);
    }
  });

  it("gathers views through their offset and strides (slices, a transpose, a column, a scalar)", () => {
    const got = Object.fromEntries(decodeTorchStateDict(read("views.pt")));
    expect(Array.from(got.transposed!.data as Float32Array).slice(0, 4)).toEqual([0, 6, 12, 18]);
    expect(Array.from(got.scalar!.data as Float32Array)).toEqual([23]);
  });
});

describe("what is refused, by name", () => {
  it("a pickled nn.Module names its class and says to save the state_dict", () => {
    expect(() => decodeTorchStateDict(read("module.pt"))).toThrow(
      /torch\.nn\.modules\.container\.Sequential, which is not allowed.*torch\.save\(model\.state_dict\(\)/,
    );
  });

  it("a pickle that would call os.system is refused before anything runs", () => {
    expect(() => decodeTorchStateDict(read("shell.pt"))).toThrow(/(posix|os)\.system, which is not allowed/);
    expect(existsSync(join(root, "pwned"))).toBe(false);
  });

  it("a checkpoint dict names the entry that is not a tensor", () => {
    expect(() => decodeTorchStateDict(read("checkpoint.pt"))).toThrow(/entry 'model' is not a tensor/);
  });

  it("the pre-1.6 format says to save it again", () => {
    expect(() => decodeTorchStateDict(read("legacy.pt"))).toThrow(/pre-1\.6 format/);
  });

  it("opcodes outside the allow-list (here INST, which imports and calls) are refused", () => {
    const data = new TextEncoder().encode("(ios\nsystem\nS'true'\n.");
    const pt = writeZip([{ name: "m/data.pkl", data }]);
    expect(() => decodeTorchStateDict(pt)).toThrow(/opcode 0x69 \('i'\).*not allowed/);
  });

  it("a storage missing from the archive is named", () => {
    const full = encodeTorchStateDict([["w", { dtype: "float32", shape: [2], data: Float32Array.of(1, 2) }]], "m");
    const entries = [...readZip(full)].filter(([n]) => n !== "m/data/0").map(([name, data]) => ({ name, data }));
    expect(() => decodeTorchStateDict(writeZip(entries))).toThrow(/storage 0 is missing from the archive/);
  });
});

describe("LayerLab's own model.pt and one changed in PyTorch", () => {
  it("model.pt as exported reads back as the exported weights", () => {
    const weights = decodeTorchStateDict(new Uint8Array(readFileSync(join(bundle, "model.pt"))));
    const view = readModel(BN_CASE.spec, importTorch(JSON.stringify(BN_CASE.spec), read("bundle/model.pt")).weights);
    const floats = weights.filter(([n]) => !n.endsWith("num_batches_tracked"));
    expect(floats.map(([n]) => n)).toEqual(view.tensors.map(([n]) => n));
    for (const [i, [, t]] of floats.entries())
      expect(Array.from(t.data as Float32Array)).toEqual(Array.from(view.tensors[i]![1].data));
  });

  it("a model.pt tuned in PyTorch imports with its normalization and predicts as PyTorch does (≤ 1e-4)", async () => {
    const imported = importTorch(JSON.stringify(BN_CASE.spec), read("bundle/tuned.pt"), NORMALIZATION);
    expect(imported.normalization).toEqual(NORMALIZATION);
    const model = buildModel(imported.spec);
    const vars = loadWeights(model, imported.weights);
    const got = await predict(model, vars, inputsFor(BN_CASE.spec, N, 17), N);
    const bytes = readFileSync(join(bundle, "tuned_probabilities.bin"));
    const want = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(TOLERANCE);
  });

  it("a state_dict for other layers names the first tensor that does not fit", () => {
    expect(() => importTorch(JSON.stringify(BN_CASE.spec), read("net.pt"))).toThrow(
      /'0\.weight' has shape|lack|do not have/,
    );
  });
});
