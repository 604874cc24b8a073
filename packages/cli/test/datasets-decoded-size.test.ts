import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";

// The real `layerlab datasets import` in a subprocess, on a folder of small colour images written here.
const BIN = resolve(__dirname, "../bin/layerlab.js");
const work = mkdtempSync(join(tmpdir(), "layerlab-decoded-size-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, "--data-dir", join(work, "data")], {
    cwd: work,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `perClass` solid `side`×`side` RGB PNGs per class into `folder/<class>/`. */
async function colourFolder(folder: string, side: number, perClass: number) {
  for (const [cls, rgb] of [
    ["red", [220, 30, 30]],
    ["blue", [30, 30, 220]],
  ] as const) {
    mkdirSync(join(work, folder, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      await sharp({
        create: { width: side, height: side, channels: 3, background: { r: rgb[0], g: rgb[1] + i, b: rgb[2] } },
      })
        .png()
        .toFile(join(work, folder, cls, `${i}.png`));
    }
  }
}

describe("layerlab datasets import: the decoded size", () => {
  it("keeps 32×32 colour images at 32×32 RGB and prints why", async () => {
    await colourFolder("tiny-cifar", 32, 4);
    const r = cli("datasets", "import", "./tiny-cifar", "--name", "tiny-cifar");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tiny-cifar: 3×32×32 \(C×H×W\), 2 classes/);
    expect(r.stdout).toContain("decoded to 32×32 RGB (the images' own size)\n");
  });
});
