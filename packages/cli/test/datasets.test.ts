import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The real `layerlab datasets …` commands in a subprocess, on a folder the shapes command writes.
const BIN = resolve(__dirname, "../bin/layerlab.js");
const work = mkdtempSync(join(tmpdir(), "layerlab-datasets-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, "--data-dir", join(work, "data")], {
    cwd: work,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const r = spawnSync(
    process.execPath,
    [BIN, "shapes", "--out", "shapes", "--size", "28", "--n", "30", "--train-split", "0.8", "--seed", "2"],
    { cwd: work, encoding: "utf8", timeout: 120_000 },
  );
  expect(r.status, r.stderr).toBe(0);
});

describe("layerlab datasets", () => {
  it("lists the built-in datasets with their shapes and splits", () => {
    const r = cli("datasets", "list");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/mnist\s+1×28×28\s+10\s+60000\/10000/);
    expect(r.stdout).toMatch(/cifar10\s+3×32×32\s+10/);
    expect(r.stdout).toMatch(/fashion-mnist/);
  });

  it("imports a folder under a name, then lists it and describes it with per-class counts", () => {
    const imported = cli("datasets", "import", "./shapes", "--name", "my-shapes");
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/my-shapes: 1×28×28 \(C×H×W\), 3 classes, 72 train \/ 18 test images/);
    expect(imported.stdout).toMatch(/saved to .*my-shapes\.lldata/);
    expect(cli("datasets", "list").stdout).toMatch(/my-shapes\s+.*imported/);
    const info = cli("datasets", "info", "my-shapes");
    expect(info.code, info.stderr).toBe(0);
    for (const shape of ["circle", "square", "triangle"])
      expect(info.stdout).toMatch(new RegExp(`${shape}\\s+24\\s+6`));
  });

  it("writes a preview grid PNG with one row per class", async () => {
    const r = cli("datasets", "preview", "my-shapes", "--out", "grid.png", "--per-class", "4");
    expect(r.code, r.stderr).toBe(0);
    const meta = await sharp(readFileSync(join(work, "grid.png"))).metadata();
    expect(meta.format).toBe("png");
    expect(meta.width!).toBeGreaterThan(4 * 28);
    expect(meta.height!).toBeGreaterThan(3 * 28);
    expect(meta.height!).toBeLessThan(4 * 28 * 2);
  });

  it("refuses a bad name, a missing path and an unknown dataset with one line and a hint", () => {
    for (const [args, pattern] of [
      [["datasets", "import", "./shapes", "--name", "../evil"], /dataset id/],
      [["datasets", "import", "./nowhere", "--name", "x"], /does not exist/],
      [["datasets", "info", "no-such-set"], /no-such-set/],
    ] as const) {
      const r = cli(...args);
      expect(r.code).not.toBe(0);
      const lines = r.stderr.trim().split("\n");
      expect(lines.at(-2)).toMatch(/^error: /);
      expect(lines.at(-2)).toMatch(pattern);
      expect(lines.at(-1)).toMatch(/^hint: \S/);
    }
  });
});
