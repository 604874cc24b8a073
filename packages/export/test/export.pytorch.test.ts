// PyTorch parity: every layer kind and template is exported to model.py +
// model.pt, then run by real PyTorch (Debian's python3-torch, one process for
// all models) with torch.load(weights_only=True) and load_state_dict(strict=True).
// Its softmax must match LayerLab's predict within 1e-4 (max abs difference).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportModel } from "../src";
import {
  type ExportCase,
  engineProbabilities,
  inputsFor,
  LAYER_CASES,
  maxAbsDiff,
  PYTHON,
  requireTorch,
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
const results = new Map<string, { want: Float32Array; got: Float32Array; summary: Summary; stateKeys: string[] }>();
let root = "";

beforeAll(async () => {
  requireTorch();
  root = mkdtempSync(join(tmpdir(), "layerlab-export-torch-"));
  const manifest: object[] = [];
  const expected = new Map<string, { want: Float32Array; stateKeys: string[] }>();
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
    const stateKeys = [...Object.keys(m.vars.params), ...Object.keys(m.vars.state)];
    expected.set(c.name, { want: await engineProbabilities(m, x, N), stateKeys });
  }
  writeFileSync(join(root, "manifest.json"), JSON.stringify({ cases: manifest }));
  const r = spawnSync(PYTHON, [ORACLE, join(root, "manifest.json")], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`the PyTorch oracle failed:\n${r.stderr}`);
  const summaries = JSON.parse(r.stdout) as Summary[];
  CASES.forEach((c, i) => {
    const bytes = readFileSync(join(root, c.name, "probabilities.bin"));
    const got = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    results.set(c.name, { ...expected.get(c.name)!, got, summary: summaries[i]! });
  });
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("PyTorch export agrees with LayerLab", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s: probabilities within 1e-4", (name, c) => {
    const { want, got } = results.get(name)!;
    expect(got.length).toBe(N * c.spec.classes.length);
    expect(maxAbsDiff(want, got)).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    "%s: state_dict keys are the spec's, batch norms count batches",
    (name, c) => {
      const { summary, stateKeys } = results.get(name)!;
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
    const { summary } = results.get("template-cnn-mnist")!;
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
