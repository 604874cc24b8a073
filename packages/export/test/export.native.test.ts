// The native format (spec.json + weights.safetensors): importing it back gives
// bit-identical predictions. Plus the bundle's shape, the run-folder export and
// the errors a person gets for bad input.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildModel, decodeSafetensors, encodeSafetensors, loadWeights, predict } from "@layerlab/engine";
import { afterAll, describe, expect, it } from "vitest";
import { exportModel, importNative, resolveFormats } from "../src";
import { exportRunFolder, exportRunFolderWithManifest } from "../src/node";
import { encodeTorchStateDict } from "../src/torch-pt";
import { crc32 } from "../src/zip";
import { engineProbabilities, inputsFor, LAYER_CASES, TEMPLATE_CASES, trainedModel } from "./support";

const NORMALIZATION = { mean: [0.1307], std: [0.3081] };
const fileOf = (files: { name: string; bytes: Uint8Array }[], name: string) =>
  files.find((f) => f.name === name)!.bytes;
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe("native round trip", () => {
  it.each([...LAYER_CASES, ...TEMPLATE_CASES.filter((c) => c.name.endsWith("mnist"))].map((c) => [c.name, c] as const))(
    "%s: spec.json + weights.safetensors predict bit-identically",
    async (_name, c) => {
      const m = await trainedModel(c.spec, 5);
      const x = inputsFor(c.spec, 4, 9);
      const want = await engineProbabilities(m, x, 4);
      const norm = c.spec.input.shape.length === 3 && c.spec.input.shape[0] === 1 ? NORMALIZATION : undefined;
      const files = exportModel({ spec: c.spec, weights: m.weights, format: "safetensors", normalization: norm });
      const back = importNative(fileOf(files, "spec.json"), fileOf(files, "weights.safetensors"));
      expect(back.spec).toEqual(c.spec);
      expect(back.normalization).toEqual(norm);
      const model = buildModel(back.spec);
      const got = await predict(model, loadWeights(model, back.weights), x, 4);
      expect(Array.from(got)).toEqual(Array.from(want));
    },
  );
});

describe("exportModel", () => {
  it("writes each format's files and a README, 'all' writing every one", async () => {
    const c = TEMPLATE_CASES.find((x) => x.name === "template-cnn-mnist")!;
    const m = await trainedModel(c.spec, 1);
    const names = (format: Parameters<typeof exportModel>[0]["format"]) =>
      exportModel({ spec: c.spec, weights: m.weights, format }).map((f) => f.name);
    expect(names("pytorch")).toEqual(["model.py", "model.pt", "README.md"]);
    expect(names("onnx")).toEqual(["model.onnx", "README.md"]);
    expect(names("safetensors")).toEqual(["spec.json", "weights.safetensors", "README.md"]);
    expect(names("all")).toEqual([
      "model.py",
      "model.pt",
      "model.onnx",
      "spec.json",
      "weights.safetensors",
      "README.md",
    ]);
    const readme = new TextDecoder().decode(
      fileOf(exportModel({ spec: c.spec, weights: m.weights, format: "all" }), "README.md"),
    );
    expect(readme).toContain("load()");
    expect(readme).toContain("onnxruntime-node");
  });

  it("aligns every model.pt storage to 64 bytes and stores correct CRCs", () => {
    const data = Float32Array.from([1, 2, 3]);
    const pt = encodeTorchStateDict([
      ["a", { dtype: "float32", shape: [3], data }],
      ["b", { dtype: "int64", shape: [], data: BigInt64Array.of(5n) }],
    ]);
    const view = new DataView(pt.buffer, pt.byteOffset, pt.byteLength);
    let offset = 0;
    const seen: string[] = [];
    while (view.getUint32(offset, true) === 0x04034b50) {
      const size = view.getUint32(offset + 18, true);
      const nameLength = view.getUint16(offset + 26, true);
      const extraLength = view.getUint16(offset + 28, true);
      const name = new TextDecoder().decode(pt.subarray(offset + 30, offset + 30 + nameLength));
      const start = offset + 30 + nameLength + extraLength;
      expect(start % 64).toBe(0);
      expect(view.getUint32(offset + 14, true)).toBe(crc32(pt.subarray(start, start + size)));
      seen.push(name);
      offset = start + size;
    }
    expect(seen).toEqual(["model/data.pkl", "model/byteorder", "model/data/0", "model/data/1", "model/version"]);
  });

  it("computes the standard CRC-32", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("names the problem with bad input", async () => {
    const c = LAYER_CASES.find((x) => x.name === "batch-norm-2d")!;
    const m = await trainedModel(c.spec, 1);
    const other = await trainedModel(LAYER_CASES.find((x) => x.name === "dense")!.spec, 1);
    expect(() => exportModel({ spec: c.spec, weights: other.weights, format: "onnx" })).toThrow(
      /'0.weight' has shape \[8, 6\], the model expects \[4, 3, 3, 3\]/,
    );
    expect(() => exportModel({ spec: c.spec, weights: new Uint8Array(3), format: "onnx" })).toThrow(
      /weights cannot be read/,
    );
    expect(() => exportModel({ spec: { ...c.spec, layers: 3 }, weights: m.weights, format: "onnx" })).toThrow(
      /spec is not valid/,
    );
    expect(() => resolveFormats(["pytorch", "keras" as never])).toThrow(
      /unknown format 'keras'.*pytorch, onnx, safetensors, all/,
    );
    expect(() =>
      exportModel({ spec: c.spec, weights: m.weights, format: "pytorch", normalization: { mean: [0, 0], std: [1] } }),
    ).toThrow(/normalization needs 3 finite mean/);
    const { tensors } = decodeSafetensors(m.weights);
    delete tensors["1.running_var"];
    expect(() => exportModel({ spec: c.spec, weights: encodeSafetensors(tensors), format: "onnx" })).toThrow(
      /lack '1.running_var' \[4\]/,
    );
  });
});

describe("exportRunFolder", () => {
  it("writes every format into <run>/export/ with no temporary files left, normalization from normalization.json", async () => {
    const c = TEMPLATE_CASES.find((x) => x.name === "template-mlp-mnist")!;
    const m = await trainedModel(c.spec, 2);
    const run = mkdtempSync(join(tmpdir(), "layerlab-run-"));
    temps.push(run);
    writeFileSync(join(run, "spec.json"), JSON.stringify(c.spec));
    writeFileSync(join(run, "weights.safetensors"), m.weights);
    writeFileSync(join(run, "normalization.json"), JSON.stringify(NORMALIZATION));
    const paths = await exportRunFolder(run, "all");
    expect(readdirSync(join(run, "export")).sort()).toEqual(
      ["README.md", "manifest.json", "model.onnx", "model.pt", "model.py", "spec.json", "weights.safetensors"].sort(),
    );
    expect(paths.every((p) => existsSync(p))).toBe(true);
    const code = readFileSync(join(run, "export", "model.py"), "utf8");
    expect(code).toContain("MEAN = (0.1307,)");
    expect(code).toContain("class LayerLabModel(nn.Sequential)");
  });

  it("exports the best checkpoint when the run has one, the last on request", async () => {
    const c = TEMPLATE_CASES.find((x) => x.name === "template-mlp-mnist")!;
    const last = await trainedModel(c.spec, 2);
    const best = await trainedModel(c.spec, 3);
    const run = mkdtempSync(join(tmpdir(), "layerlab-run-"));
    temps.push(run);
    writeFileSync(join(run, "spec.json"), JSON.stringify(c.spec));
    writeFileSync(join(run, "weights.safetensors"), last.weights);
    writeFileSync(join(run, "weights.best.safetensors"), best.weights);
    const exported = () => readFileSync(join(run, "export", "weights.safetensors"));
    const tensorsOf = (bytes: Uint8Array) => decodeSafetensors(bytes).tensors["1.weight"]!.data;
    await exportRunFolder(run, "safetensors");
    expect(tensorsOf(exported())).toEqual(tensorsOf(best.weights));
    await exportRunFolder(run, "safetensors", { checkpoint: "last" });
    expect(tensorsOf(exported())).toEqual(tensorsOf(last.weights));
  });

  it("holds one checkpoint: another clears the other formats, a changed one is exported again, and the manifest and README name it", async () => {
    const c = TEMPLATE_CASES.find((x) => x.name === "template-mlp-mnist")!;
    const withEpoch = async (seed: number, epoch: number) => {
      const { tensors } = decodeSafetensors((await trainedModel(c.spec, seed)).weights);
      return encodeSafetensors(tensors, { "layerlab.epoch": String(epoch) });
    };
    const [best, last, later] = await Promise.all([withEpoch(2, 3), withEpoch(3, 5), withEpoch(4, 6)]);
    const run = mkdtempSync(join(tmpdir(), "layerlab-run-"));
    temps.push(run);
    writeFileSync(join(run, "spec.json"), JSON.stringify(c.spec));
    writeFileSync(join(run, "weights.safetensors"), last);
    writeFileSync(join(run, "weights.best.safetensors"), best);
    const folder = () => readdirSync(join(run, "export")).sort();
    const manifest = () => JSON.parse(readFileSync(join(run, "export", "manifest.json"), "utf8"));
    const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

    await exportRunFolder(run, "all");
    expect(manifest().checkpoint).toMatchObject({ file: "weights.best.safetensors", epoch: 3, sha256: sha(best) });
    expect(manifest().formats).toEqual(["pytorch", "onnx", "safetensors"]);
    const onnxOfBest = readFileSync(join(run, "export", "model.onnx"));

    // The same checkpoint again writes nothing.
    const again = await exportRunFolderWithManifest(run, "onnx");
    expect(again.reused).toBe(true);

    // The last checkpoint in one format: the best one's other formats go.
    await exportRunFolder(run, "pytorch", { checkpoint: "last" });
    expect(folder()).toEqual(["README.md", "manifest.json", "model.pt", "model.py"]);
    expect(manifest().checkpoint).toMatchObject({ file: "weights.safetensors", epoch: 5, sha256: sha(last) });
    const readme = readFileSync(join(run, "export", "README.md"), "utf8");
    expect(readme).toContain(`\`weights.safetensors\` (saved after epoch 5; SHA-256 ${sha(last)})`);
    expect(readme).toContain("## PyTorch");
    expect(readme).not.toContain("## ONNX");

    // Another format of the same checkpoint joins it.
    await exportRunFolder(run, "onnx", { checkpoint: "last" });
    expect(folder()).toEqual(["README.md", "manifest.json", "model.onnx", "model.pt", "model.py"]);
    expect(manifest().formats).toEqual(["pytorch", "onnx"]);
    expect(readFileSync(join(run, "export", "README.md"), "utf8")).toContain("## ONNX");
    expect(readFileSync(join(run, "export", "model.onnx")).equals(onnxOfBest)).toBe(false);

    // More training rewrites the checkpoint: the next export is made again, and only what was asked for is left.
    writeFileSync(join(run, "weights.safetensors"), later);
    const onnxBefore = readFileSync(join(run, "export", "model.onnx"));
    const redone = await exportRunFolderWithManifest(run, "onnx", { checkpoint: "last" });
    expect(redone.reused).toBe(false);
    expect(folder()).toEqual(["README.md", "manifest.json", "model.onnx"]);
    expect(manifest().checkpoint).toMatchObject({ file: "weights.safetensors", epoch: 6, sha256: sha(later) });
    expect(readFileSync(join(run, "export", "model.onnx")).equals(onnxBefore)).toBe(false);
  });

  it("rebuilds a folder written before manifests existed", async () => {
    const c = TEMPLATE_CASES.find((x) => x.name === "template-mlp-mnist")!;
    const m = await trainedModel(c.spec, 2);
    const run = mkdtempSync(join(tmpdir(), "layerlab-run-"));
    temps.push(run);
    writeFileSync(join(run, "spec.json"), JSON.stringify(c.spec));
    writeFileSync(join(run, "weights.safetensors"), m.weights);
    mkdirSync(join(run, "export"));
    writeFileSync(join(run, "export", "model.pt"), "a stale model");
    await exportRunFolder(run, "onnx");
    expect(readdirSync(join(run, "export")).sort()).toEqual(["README.md", "manifest.json", "model.onnx"]);
  });

  it("says which file is missing from a run folder", async () => {
    const run = mkdtempSync(join(tmpdir(), "layerlab-run-"));
    temps.push(run);
    await expect(exportRunFolder(run, "onnx")).rejects.toThrow(
      /spec\.json does not exist; is .* a finished LayerLab run folder/,
    );
    expect(existsSync(join(run, "export"))).toBe(false);
  });
});
