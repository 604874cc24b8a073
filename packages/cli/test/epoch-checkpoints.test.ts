import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../src/program";

// `layerlab train --keep-epoch-checkpoints N`: the flag comes from the config schema, and the
// run folder keeps that many epochs' weights, spread from the first epoch to the last.
const work = mkdtempSync(join(tmpdir(), "layerlab-cli-epochs-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the program the bin runs, in this process, with stdout silenced; its exit code. */
async function cli(...args: string[]): Promise<number> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await runCli(args);
  } finally {
    process.stdout.write = write;
  }
}

describe("layerlab train --keep-epoch-checkpoints", () => {
  it("keeps the weights of epochs 1 and 3 of 3 with a bound of 2, the last equal to weights.safetensors", async () => {
    const shapes = join(work, "shapes");
    expect(await cli("shapes", "--out", shapes, "--size", "12", "--n", "30", "--seed", "2")).toBe(0);
    const dir = join(work, "run");
    const code = await cli(
      ...["train", "simple-nn", shapes, "--img-size", "12", "--grayscale", "1", "--hidden", "8"],
      ...["--epochs", "3", "--batch-size", "16", "--keep-epoch-checkpoints", "2", "--save-dir", dir, "--json"],
    );
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).keepEpochCheckpoints).toBe(2);
    expect(readdirSync(join(dir, "epochs"))).toEqual(["epoch-001.safetensors", "epoch-003.safetensors"]);
    expect(readFileSync(join(dir, "epochs", "epoch-003.safetensors"))).toEqual(
      readFileSync(join(dir, "weights.safetensors")),
    );
  }, 120_000);
});
