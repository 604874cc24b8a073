import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The real `layerlab` bin in a subprocess, as a user runs it.
const BIN = resolve(__dirname, "../bin/layerlab.js");
const work = mkdtempSync(join(tmpdir(), "layerlab-cli-serve-"));
const env = { ...process.env, LAYERLAB_DATA_DIR: join(work, "data"), LAYERLAB_TOKEN: "", HOST: "", PORT: "" };
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("layerlab export", () => {
  beforeAll(() => {
    const r = cli("train", "mlp", "shapes", "--epochs", "1", "--limit", "200", "--save-dir", "runs/tiny", "--json");
    expect(r.code, r.stderr).toBe(0);
  });

  it("writes every format of a trained run and prints the files", () => {
    const r = cli("export", "runs/tiny", "--format", "all");
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const printed = lines.filter((l) => l.startsWith("wrote ")).map((l) => l.replace(/^wrote /, ""));
    expect(lines.at(-1)).toMatch(/holds weights\.(best\.)?safetensors \(epoch 1\), sha256 [0-9a-f]{64}$/);
    const names = printed.map((p) => p.split("/").pop());
    expect(names).toEqual(
      expect.arrayContaining(["model.py", "model.pt", "model.onnx", "weights.safetensors", "manifest.json"]),
    );
    for (const path of printed) expect(statSync(resolve(work, path)).size, path).toBeGreaterThan(0);
    expect(readdirSync(join(work, "runs/tiny/export")).sort()).toEqual([...names].sort());
  });

  it("writes one format when asked, and refuses an unknown format or a folder without a run", () => {
    rmSync(join(work, "runs/tiny/export"), { recursive: true, force: true });
    const onnx = cli("export", "runs/tiny", "--format", "onnx");
    expect(onnx.code, onnx.stderr).toBe(0);
    expect(existsSync(join(work, "runs/tiny/export/model.onnx"))).toBe(true);
    expect(existsSync(join(work, "runs/tiny/export/model.pt"))).toBe(false);
    // One checkpoint per folder: the last checkpoint's PyTorch files never sit beside the best one's ONNX.
    const last = cli("export", "runs/tiny", "--checkpoint", "last", "--format", "pytorch");
    expect(last.code, last.stderr).toBe(0);
    expect(readdirSync(join(work, "runs/tiny/export")).sort()).toEqual(
      ["README.md", "manifest.json", "model.pt", "model.py"].sort(),
    );
    const manifest = JSON.parse(readFileSync(join(work, "runs/tiny/export/manifest.json"), "utf8"));
    expect(manifest.checkpoint).toMatchObject({ file: "weights.safetensors", epoch: 1 });
    expect(manifest.formats).toEqual(["pytorch"]);
    const again = cli("export", "runs/tiny", "--checkpoint", "last", "--format", "pytorch");
    expect(again.stdout).toMatch(/^kept .*model\.pt$/m);
    const bad = cli("export", "runs/tiny", "--format", "tflite");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error: .*tflite/);
    const none = cli("export", "nowhere");
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error: .*run\.json does not exist\nhint: /m);
  });
});

describe("layerlab serve", () => {
  it("starts the server on the given host, port and data dir, prints its URL, and stops on SIGTERM", async () => {
    const dataDir = join(work, "served");
    const child = spawn(process.execPath, [BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir], {
      cwd: work,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      let output = "";
      const url = await new Promise<string>((resolveUrl, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /LayerLab studio at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match) resolveUrl(match[1]!);
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        void exited.then((code) => reject(new Error(`serve exited with ${code}: ${output}`)));
      });
      const health = await fetch(`${url}/api/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { ok: boolean }).ok).toBe(true);
      expect(existsSync(join(dataDir, "registry.sqlite"))).toBe(true);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("refuses a non-loopback host without LAYERLAB_TOKEN", () => {
    const r = cli("serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", join(work, "refused"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: HOST=0\.0\.0\.0 .*LAYERLAB_TOKEN must be set.*\nhint: /m);
  });
});
