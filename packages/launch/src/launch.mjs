// @ts-check
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, version as esbuildVersion } from "esbuild";

/*
 * Why this exists: tsx compiles and resolves each TypeScript file through Node's module hooks, which
 * run on their own thread and answer every import by message. The layerlab command loads about 250
 * of the repository's files and a server job thread about 150, so starting one cost 1.8–2.4 CPU-s,
 * mostly in that traffic, and the CLI and the server start many (a thread per job, per evaluation,
 * per report). Bundling the entry's own TypeScript into one cached file with esbuild (tsx's compiler
 * too) and loading it as plain JavaScript costs 0.5 CPU-s; the bundle is rebuilt when any file in it
 * changed, so editing a source file still takes effect on the next start, with no build step.
 *
 * Packages from node_modules stay outside the bundle, loaded by Node as usual; the workspace's own
 * packages (@layerlab/*) are bundled. A dynamic import() becomes its own chunk, so code that must run
 * before a dependency loads (jax-js fixes its memory model when it starts) still runs first.
 */

/** Other bundles and scratch files older than this are removed when a newer bundle is written (a running process may still load its chunks). */
const STALE_MS = 24 * 60 * 60 * 1000;
/** Bumped when the bundle's shape changes, so bundles from an older launcher are not reused. */
const LAUNCHER_VERSION = 2;

/**
 * Imports a TypeScript module (a `file:` URL) through a bundle of it cached
 * beside its package (`<package>/node_modules/.cache/layerlab-launch/`),
 * building the bundle first when it is missing or any of its files changed.
 *
 * @param {URL | string} entry
 * @param {{ cacheDir?: string }} [options] `cacheDir` replaces the default cache folder.
 * @returns {Promise<Record<string, unknown>>}
 */
export async function importTypeScript(entry, options = {}) {
  const entryPath = fileURLToPath(entry);
  const slotName = `${basename(entryPath).replace(/\.[mc]?tsx?$/, "")}-${digest(entryPath).slice(0, 12)}`;
  const slot = join(options.cacheDir ?? (await defaultCacheDir(entryPath)), slotName);
  const bundleDir = await bundleIn(entryPath, slot).catch((err) => {
    // A checkout the user cannot write to (installed by root, a read-only mount) still runs, from a bundle in the temp folder.
    if (options.cacheDir || !["EACCES", "EPERM", "EROFS"].includes(err.code)) throw err;
    return bundleIn(entryPath, join(tmpdir(), `layerlab-launch-${process.getuid?.() ?? "user"}`, slotName));
  });
  // Stack traces name the TypeScript files and lines, as they did under tsx.
  process.setSourceMapsEnabled(true);
  return import(pathToFileURL(join(bundleDir, outputName(entryPath))).href);
}

/** The folder of a current bundle of the entry in `slot`, built first when there is none. */
async function bundleIn(entryPath, slot) {
  return (await freshBundle(slot)) ?? (await writeBundle(entryPath, slot));
}

/** `<package>/node_modules/.cache/layerlab-launch`, the package being the nearest folder above the entry with a package.json. */
async function defaultCacheDir(entryPath) {
  for (let dir = dirname(entryPath); ; dir = dirname(dir)) {
    if (await stampOf(join(dir, "package.json"))) return join(dir, "node_modules", ".cache", "layerlab-launch");
    if (dirname(dir) === dir) return join(dirname(entryPath), "node_modules", ".cache", "layerlab-launch");
  }
}

/** The folder of the slot's bundle when every file it was built from is unchanged, else null. */
async function freshBundle(slot) {
  let manifest;
  try {
    manifest = JSON.parse(await readFile(join(slot, "manifest.json"), "utf8"));
  } catch {
    return null;
  }
  if (manifest?.launcher !== LAUNCHER_VERSION || manifest.esbuild !== esbuildVersion) return null;
  if (!Array.isArray(manifest.inputs) || typeof manifest.bundle !== "string") return null;
  const current = await Promise.all(manifest.inputs.map(([path]) => stampOf(path)));
  const unchanged = current.every(
    (s, i) => s !== null && s[1] === manifest.inputs[i][1] && s[2] === manifest.inputs[i][2],
  );
  const bundleDir = join(slot, manifest.bundle);
  // A cache folder cleaned by hand can keep the manifest and lose the bundle.
  return unchanged && (await stampOf(join(bundleDir, manifest.entry))) ? bundleDir : null;
}

/**
 * Bundles the entry into a new folder of the slot and points the slot's manifest at it. Several
 * processes may do this at once: each writes its own folder and renames it into place, and the
 * manifest is replaced whole, so a reader sees one complete bundle or the other.
 */
async function writeBundle(entryPath, slot) {
  /** @type {Map<string, [string, number, number]>} stamps taken before each file was read, so a file edited during the build reads as changed */
  const stamps = new Map();
  const scratch = join(slot, `tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(slot, { recursive: true });
  try {
    const result = await build({
      entryPoints: [entryPath],
      outdir: scratch,
      absWorkingDir: dirname(entryPath),
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "linked",
      metafile: true,
      logLevel: "silent",
      plugins: [keepPackagesExternal(), keepSourceLocations(stamps)],
    });
    const inputs = [];
    for (const input of Object.keys(result.metafile.inputs)) {
      const path = resolve(dirname(entryPath), input);
      const stamp = stamps.get(path) ?? (await stampOf(path));
      if (stamp) inputs.push(stamp);
    }
    const bundle = `b-${digest(JSON.stringify(inputs)).slice(0, 16)}`;
    const bundleDir = join(slot, bundle);
    await rename(scratch, bundleDir).catch(async (err) => {
      // Another process built the same files first: its folder is as good.
      if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
      await rm(scratch, { recursive: true, force: true });
    });
    const manifest = {
      launcher: LAUNCHER_VERSION,
      esbuild: esbuildVersion,
      bundle,
      entry: outputName(entryPath),
      inputs,
    };
    const manifestScratch = `${scratch}.json`;
    await writeFile(manifestScratch, JSON.stringify(manifest));
    await rename(manifestScratch, join(slot, "manifest.json"));
    await removeStale(slot, bundle);
    return bundleDir;
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
}

/** Leaves every bare import except the workspace's own packages to Node. */
function keepPackagesExternal() {
  return {
    name: "layerlab-packages-external",
    /** @param {import("esbuild").PluginBuild} b */
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) =>
        args.path.startsWith("@layerlab/") ? undefined : { path: args.path, external: true },
      );
    },
  };
}

/**
 * Loads each TypeScript file with `import.meta.url`, `import.meta.dirname` and `import.meta.filename`
 * spelled out as the file's own location: code finds files beside it (a worker's entry, the web app's
 * build, package.json) from there, and inside a bundle they would name the bundle instead.
 *
 * @param {Map<string, [string, number, number]>} stamps
 */
function keepSourceLocations(stamps) {
  return {
    name: "layerlab-source-locations",
    /** @param {import("esbuild").PluginBuild} b */
    setup(b) {
      b.onLoad({ filter: /\.[mc]?tsx?$/ }, async (args) => {
        const stamp = await stampOf(args.path);
        if (stamp) stamps.set(args.path, stamp);
        const source = await readFile(args.path, "utf8");
        const contents = source
          .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path)))
          .replaceAll("import.meta.filename", JSON.stringify(args.path));
        return { contents, loader: args.path.endsWith("x") ? "tsx" : "ts" };
      });
    },
  };
}

/** Removes the slot's other bundles and scratch folders once they are old enough that no process is still loading them. */
async function removeStale(slot, keep) {
  const now = Date.now();
  for (const name of await readdir(slot)) {
    if (name === keep || name === "manifest.json") continue;
    const path = join(slot, name);
    const info = await stat(path).catch(() => null);
    if (info && now - info.mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true });
  }
}

/** @returns {Promise<[string, number, number] | null>} the path with its modification time and size, or null when it is gone */
async function stampOf(path) {
  const info = await stat(path).catch(() => null);
  return info ? [path, info.mtimeMs, info.size] : null;
}

function outputName(entryPath) {
  return basename(entryPath).replace(/\.[mc]?tsx?$/, ".js");
}

function digest(text) {
  return createHash("sha256").update(text).digest("hex");
}
