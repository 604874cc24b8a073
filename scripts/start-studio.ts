import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError, startServer } from "@layerlab/server";

/*
 * `npm start`: the studio on its defaults (127.0.0.1:3000, SQLite under
 * ./data, built-in datasets offline). Builds the web app first when its
 * build is missing; a failed or impossible build still starts the API, and
 * `/` then says how to build the app.
 */

const webDir = fileURLToPath(new URL("../packages/web/", import.meta.url));

/** Builds packages/web when it exists without a dist/; returns what happened, for one line of output. */
function ensureWebBuild(): string {
  if (!existsSync(`${webDir}package.json`)) return "no web app in this checkout; serving the API only";
  if (existsSync(`${webDir}dist/index.html`)) return "web app: packages/web/dist";
  process.stdout.write("building the web app (npm run build -w @layerlab/web)…\n");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const build = spawnSync(npm, ["run", "build", "-w", "@layerlab/web"], { stdio: "inherit" });
  if (build.status === 0 && existsSync(`${webDir}dist/index.html`)) return "web app: built into packages/web/dist";
  return "the web app did not build; serving the API (see the page at / for how to build it)";
}

const web = ensureWebBuild();
try {
  const { url } = await startServer({ logger: { level: "warn" } });
  process.stdout.write(`${web}\nLayerLab studio at ${url} — Ctrl-C stops it\n`);
} catch (err) {
  const what = err instanceof ConfigError ? "configuration error" : "cannot start";
  process.stderr.write(`${what}: ${(err as Error).message}\n`);
  process.exit(1);
}
