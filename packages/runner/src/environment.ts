import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, cpus, platform } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Backend } from "@layerlab/spec";

/** Where a run trained: recorded in run.json so results can be compared fairly. */
export interface RunEnvironment {
  backend: Backend | null;
  node: string;
  jaxJs: string;
  layerlab: string;
  cpu: string;
  cpuCount: number;
  platform: string;
  /** Threads jax-js ran Wasm kernels on (1 unless the process enabled its worker pool); set when the run stops. */
  wasmThreads?: number;
  /** Threads the engine's own conv kernels trained the leading convolutions on; absent when jax-js trained all. */
  convThreads?: number;
}

/** The version in the nearest package.json at or above `path`. */
function versionAbove(path: string): string {
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
    } catch {
      // no package.json here; look one level up
    }
  }
  return "unknown";
}

function packageVersion(name: string): string {
  try {
    // Packages may not export their package.json; resolve the entry and walk up from it.
    return versionAbove(createRequire(import.meta.url).resolve(name));
  } catch {
    return "unknown";
  }
}

/** The environment of this process; `backend` is filled when training starts. */
export function runEnvironment(backend: Backend | null = null): RunEnvironment {
  const cpuList = cpus();
  return {
    backend,
    node: process.version,
    jaxJs: packageVersion("@jax-js/jax"),
    layerlab: versionAbove(fileURLToPath(import.meta.url)),
    cpu: cpuList[0]?.model.trim() ?? "unknown",
    cpuCount: cpuList.length,
    platform: `${platform()}-${arch()}`,
  };
}
