// model.py as a practitioner uses it in real PyTorch (Debian's python3-torch):
// torch.jit.script compiles every layer kind and template and agrees with eager
// mode, load() finds model.pt beside model.py from any working directory, and
// preprocess takes uint8 or [0, 1] floats by dtype and refuses 0..255 floats.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportModel } from "../src";
import { type ExportCase, inputsFor, LAYER_CASES, PYTHON, requireTorch, TEMPLATE_CASES, trainedModel } from "./support";

const ORACLE = fileURLToPath(new URL("./fixtures/torch_usage.py", import.meta.url));
const CASES: ExportCase[] = [...LAYER_CASES, ...TEMPLATE_CASES];
const N = 4;
const NORMALIZATION = { mean: [0.25], std: [0.5] };

interface Usage {
  name: string;
  training: boolean;
  script_max_diff?: number;
  script_error?: string;
  int64_max_diff?: number;
  unit_float_max_diff?: number;
  byte_float_error?: string | null;
  out_of_range_int_error?: string | null;
}
const usage = new Map<string, Usage>();
let root = "";

beforeAll(async () => {
  requireTorch();
  root = mkdtempSync(join(tmpdir(), "layerlab-export-usage-"));
  const manifest: object[] = [];
  for (const [i, c] of CASES.entries()) {
    const m = await trainedModel(c.spec, 31 + i);
    const channels = c.spec.input.shape.length === 3 ? c.spec.input.shape[0]! : 1;
    const normalization = channels === NORMALIZATION.mean.length ? NORMALIZATION : undefined;
    const dir = join(root, c.name);
    mkdirSync(dir);
    for (const f of exportModel({ spec: c.spec, weights: m.weights, format: "pytorch", normalization })) {
      writeFileSync(join(dir, f.name), f.bytes);
    }
    const x = inputsFor(c.spec, N, 201 + i);
    writeFileSync(join(dir, "x.bin"), new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    const entry: Record<string, unknown> = { name: c.name.replace(/\W/g, "_"), dir, n: N };
    if (normalization) entry.pixels = Array.from({ length: x.length / N }, (_, p) => (p * 53) % 256);
    manifest.push(entry);
  }
  writeFileSync(join(root, "manifest.json"), JSON.stringify({ cases: manifest }));
  const r = spawnSync(PYTHON, [ORACLE, join(root, "manifest.json")], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`the PyTorch usage oracle failed:\n${r.stderr}`);
  const summaries = JSON.parse(r.stdout) as Usage[];
  for (const [i, c] of CASES.entries()) usage.set(c.name, summaries[i]!);
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("model.py in real PyTorch", () => {
  it.each(CASES.map((c) => [c.name] as const))("%s: torch.jit.script compiles it and matches eager ≤ 1e-5", (name) => {
    const u = usage.get(name)!;
    expect(u.script_error).toBeUndefined();
    expect(u.script_max_diff).toBeLessThanOrEqual(1e-5);
  });

  it.each(CASES.map((c) => [c.name] as const))("%s: load() finds model.pt from another working directory", (name) => {
    expect(usage.get(name)!.training).toBe(false);
  });
});

describe("model.py's preprocess decides the pixel scale by dtype", () => {
  const withPixels = () => [...usage.values()].filter((u) => u.unit_float_max_diff !== undefined);

  it("covers single-channel images and vectors", () => {
    expect(withPixels().length).toBeGreaterThanOrEqual(3);
  });

  it("gives the same input for uint8 0..255, int64 0..255 and float [0, 1] pixels", () => {
    for (const u of withPixels()) {
      expect(u.int64_max_diff, u.name).toBe(0);
      expect(u.unit_float_max_diff, u.name).toBeLessThan(1e-6);
    }
  });

  it("refuses float pixels in 0..255 with a ValueError that says what it wants", () => {
    for (const u of withPixels()) {
      expect(u.byte_float_error, u.name).toMatch(/float pixels must be scaled to \[0, 1\].*uint8 pixels in 0\.\.255/);
      expect(u.out_of_range_int_error, u.name).toMatch(/integer pixels must be in 0\.\.255/);
    }
  });
});
