import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ENTRY = fileURLToPath(new URL("../browser/entry.ts", import.meta.url));

/** Bundles `entry` (default: bench/browser/entry.ts; engine and all) into one browser ES module, in memory. */
export async function bundleBrowserEntry(entry = ENTRY): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    write: false,
    minify: false,
    sourcemap: false,
    logLevel: "silent",
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`esbuild produced no output for ${entry}`);
  return out.text;
}

/** The page that loads the bundle; the query string tells the entry what to run. */
export const BENCH_PAGE_HTML = `<!doctype html>
<meta charset="utf-8">
<title>LayerLab bench</title>
<script type="module" src="/entry.js"></script>
`;
