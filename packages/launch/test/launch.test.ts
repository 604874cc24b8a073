import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { importTypeScript } from "../src/launch.mjs";

const LAUNCHER = new URL("../src/launch.mjs", import.meta.url).href;

// Each test is a small package in a temporary folder: TypeScript sources, a package.json, and a
// dependency in its own node_modules that records when Node evaluates it.
let root: string;

async function write(relative: string, text: string): Promise<string> {
  const path = join(root, relative);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text);
  return path;
}

const entryUrl = (relative: string) => pathToFileURL(join(root, relative));

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "layerlab-launch-"));
  await write("package.json", JSON.stringify({ name: "fixture", type: "module" }));
  await write(
    "node_modules/recorder/package.json",
    JSON.stringify({ name: "recorder", type: "module", main: "index.js" }),
  );
  await write(
    "node_modules/recorder/index.js",
    "(globalThis.launchOrder ??= []).push('recorder');\nexport const recorded = 'from node_modules';\n",
  );
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  delete (globalThis as { launchOrder?: string[] }).launchOrder;
});

describe("importTypeScript", () => {
  it("runs an entry with its TypeScript imports bundled and its packages loaded by Node, cached beside the package", async () => {
    await write(
      "src/shape.ts",
      "export interface Shape { sides: number }\nexport const square: Shape = { sides: 4 };\n",
    );
    await write(
      "src/main.ts",
      "import { recorded } from 'recorder';\nimport { square } from './shape';\nexport const answer: string = square.sides + ' ' + recorded;\n",
    );
    const module = await importTypeScript(entryUrl("src/main.ts"));
    expect(module.answer).toBe("4 from node_modules");
    const slots = await readdir(join(root, "node_modules/.cache/layerlab-launch"));
    expect(slots).toHaveLength(1);
    expect(slots[0]).toMatch(/^main-[0-9a-f]{12}$/);
    const manifest = JSON.parse(
      await readFile(join(root, "node_modules/.cache/layerlab-launch", slots[0]!, "manifest.json"), "utf8"),
    );
    // The sources are stamped; the package from node_modules is not part of the bundle.
    expect(manifest.inputs.map(([path]: [string]) => path).sort()).toEqual([
      join(root, "src/main.ts"),
      join(root, "src/shape.ts"),
    ]);
  });

  it("gives each file its own import.meta.url, dirname and filename, not the bundle's", async () => {
    await write(
      "src/where.ts",
      "export const where = { url: import.meta.url, dirname: import.meta.dirname, filename: import.meta.filename };\n",
    );
    await write("src/main.ts", "export { where } from './where';\nexport const self = import.meta.url;\n");
    const module = (await importTypeScript(entryUrl("src/main.ts"))) as {
      where: { url: string; dirname: string; filename: string };
      self: string;
    };
    expect(module.where).toEqual({
      url: pathToFileURL(join(root, "src/where.ts")).href,
      dirname: join(root, "src"),
      filename: join(root, "src/where.ts"),
    });
    expect(module.self).toBe(pathToFileURL(join(root, "src/main.ts")).href);
  });

  it("rebuilds when a source file changes, and reuses the bundle while none does", async () => {
    const value = await write("src/value.ts", "export const value = 1;\n");
    await write("src/main.ts", "export { value } from './value';\n");
    expect((await importTypeScript(entryUrl("src/main.ts"))).value).toBe(1);
    const slot = join(
      root,
      "node_modules/.cache/layerlab-launch",
      (await readdir(join(root, "node_modules/.cache/layerlab-launch")))[0]!,
    );
    const firstManifest = await stat(join(slot, "manifest.json"));
    expect((await importTypeScript(entryUrl("src/main.ts"))).value).toBe(1);
    expect((await stat(join(slot, "manifest.json"))).mtimeMs).toBe(firstManifest.mtimeMs);

    // Same size, later modification time: only the stamp tells the change.
    await writeFile(value, "export const value = 2;\n");
    const later = new Date(Date.now() + 5_000);
    await utimes(value, later, later);
    expect((await importTypeScript(entryUrl("src/main.ts"))).value).toBe(2);
  });

  it("rebuilds a bundle whose folder was removed while its manifest stayed, and ignores a manifest it cannot read", async () => {
    await write("src/main.ts", "export const n: number = 3;\n");
    expect((await importTypeScript(entryUrl("src/main.ts"))).n).toBe(3);
    const cache = join(root, "node_modules/.cache/layerlab-launch");
    const slot = join(cache, (await readdir(cache))[0]!);
    const bundle = (await readdir(slot)).find((name) => name.startsWith("b-"))!;
    await rm(join(slot, bundle), { recursive: true });
    expect((await importTypeScript(entryUrl("src/main.ts"))).n).toBe(3);
    await writeFile(join(slot, "manifest.json"), "{ not json");
    expect((await importTypeScript(entryUrl("src/main.ts"))).n).toBe(3);
    expect(JSON.parse(await readFile(join(slot, "manifest.json"), "utf8")).bundle).toBe(bundle);
  });

  it("keeps a dynamic import lazy: a package it imports loads after the code before it ran", async () => {
    // jax-js must not load before the CLI has set up its Wasm threads; in one flat bundle esbuild would
    // hoist every package import to the top.
    await write("src/late.ts", "import { recorded } from 'recorder';\nexport const late = recorded;\n");
    await write(
      "src/main.ts",
      "(globalThis as any).launchOrder = ['entry'];\nconst { late } = await import('./late');\nexport const result = late;\n",
    );
    const module = await importTypeScript(entryUrl("src/main.ts"));
    expect(module.result).toBe("from node_modules");
    expect((globalThis as { launchOrder?: string[] }).launchOrder).toEqual(["entry", "recorder"]);
  });

  it("names the TypeScript file and line in a stack trace", async () => {
    await write("src/thrower.ts", "\n\nexport function fail(): never {\n  throw new Error('deliberate');\n}\n");
    await write("src/main.ts", "export { fail } from './thrower';\n");
    // In a Node process of its own, as the CLI runs (Vitest formats this process's stacks itself).
    const script = `const { importTypeScript } = await import(${JSON.stringify(LAUNCHER)});
      const { fail } = await importTypeScript(${JSON.stringify(entryUrl("src/main.ts").href)});
      try { fail(); } catch (err) { process.stdout.write(err.stack); }`;
    const stack = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(stack).toContain("Error: deliberate");
    expect(stack).toContain(`${join(root, "src/thrower.ts")}:4`);
  });

  it("rejects a file that does not compile, naming the file and line, and leaves no half-written bundle", async () => {
    await write("src/main.ts", "export const ok = 1;\nexport const broken = ;\n");
    await expect(importTypeScript(entryUrl("src/main.ts"))).rejects.toThrow(/main\.ts:2/);
    const slot = join(
      root,
      "node_modules/.cache/layerlab-launch",
      (await readdir(join(root, "node_modules/.cache/layerlab-launch")))[0]!,
    );
    expect(await readdir(slot)).toEqual([]);
  });

  it("lets several starts build the same bundle at once", async () => {
    await write("src/main.ts", "export const n: number = 7;\n");
    const modules = await Promise.all([1, 2, 3, 4].map(() => importTypeScript(entryUrl("src/main.ts"))));
    expect(modules.map((m) => m.n)).toEqual([7, 7, 7, 7]);
    const slot = join(
      root,
      "node_modules/.cache/layerlab-launch",
      (await readdir(join(root, "node_modules/.cache/layerlab-launch")))[0]!,
    );
    // One bundle folder, the manifest, and no scratch folders left behind.
    expect((await readdir(slot)).sort()).toEqual([expect.stringMatching(/^b-[0-9a-f]{16}$/), "manifest.json"]);
  });
});
