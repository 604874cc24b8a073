// `layerlab import`, as a user runs it (the real bin in a subprocess) against
// a real server: a run trained and exported by the CLI is imported from its
// export folder as a finished run; a refused import prints the server's reason.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildApp, loadServerConfig } from "@layerlab/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = resolve(__dirname, "../bin/layerlab.js");
const work = mkdtempSync(join(tmpdir(), "layerlab-cli-import-"));
const env = { ...process.env, LAYERLAB_DATA_DIR: join(work, "data"), LAYERLAB_TOKEN: "", HOST: "", PORT: "" };
let app: Awaited<ReturnType<typeof buildApp>>;
let url = "";

/** Runs the CLI without blocking this process, whose event loop serves the server it talks to. */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  const train = spawnSync(
    process.execPath,
    [BIN, "train", "mlp", "shapes", "--epochs", "1", "--limit", "200", "--save-dir", "runs/tiny", "--json"],
    { cwd: work, env, encoding: "utf8", timeout: 120_000 },
  );
  expect(train.status, train.stderr).toBe(0);
  const exported = spawnSync(process.execPath, [BIN, "export", "runs/tiny", "--format", "all"], {
    cwd: work,
    env,
    encoding: "utf8",
  });
  expect(exported.status, exported.stderr).toBe(0);
  const config = loadServerConfig({ DATA_DIR: join(work, "server"), PORT: "0", WEB_DIR: join(work, "no-web") });
  app = await buildApp({ config });
  url = await app.listen({ host: "127.0.0.1", port: 0 });
}, 180_000);

afterAll(async () => {
  await app?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("layerlab import", () => {
  it("imports an export folder as a finished run of the server's registry", async () => {
    const r = await cli("import", "runs/tiny/export", "--dataset", "shapes", "--name", "from the cli", "--server", url);
    expect(r.code, r.stderr).toBe(0);
    const id = /as run (run-[a-z0-9-]+)/.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();
    expect(r.stdout).toMatch(/model\.py/);
    const run = (await (await fetch(`${url}/api/runs/${id}`)).json()) as Record<string, unknown>;
    expect(run).toMatchObject({ status: "succeeded", executor: "import", name: "from the cli", dataset: "shapes" });
  });

  it("imports model.pt with model.py and spec.json given as files", async () => {
    const dir = "runs/tiny/export";
    const r = await cli(
      "import",
      `${dir}/spec.json`,
      `${dir}/model.pt`,
      `${dir}/model.py`,
      "--dataset",
      "shapes",
      "--server",
      url,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/imported spec\.json, model\.pt, model\.py as run run-/);
  });

  it("prints the server's reason when it refuses, and exits 1", async () => {
    const r = await cli("import", "runs/tiny/export", "--dataset", "cifar10", "--server", url);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dataset cifar10 has 3×32×32 images; choose the dataset it was trained on/);
  });
});
