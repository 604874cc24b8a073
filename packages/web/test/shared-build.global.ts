/**
 * Vitest globalSetup of the fast-shared project: one folder, for the whole run, in
 * which the first end-to-end file that needs the studio builds it and every
 * other file then serves that same build (harness.ts `buildApp`). A
 * production build takes tens of seconds on a 2-core machine and a dozen
 * files need one; building lazily, not here, keeps runs without any
 * end-to-end file (a single unit-test file) from paying for it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

/** The key under which test files `inject()` the shared build's folder. */
export const SHARED_BUILD_KEY = "layerlabWebBuildRoot";

declare module "vitest" {
  export interface ProvidedContext {
    /** The folder holding this run's shared studio build (see harness.ts `buildApp`). */
    [SHARED_BUILD_KEY]: string;
  }
}

/** Creates the run's shared-build folder, hands its path to the test files, and removes it when the run ends. */
export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(tmpdir(), "layerlab-web-shared-build-"));
  project.provide(SHARED_BUILD_KEY, root);
  return () => rmSync(root, { recursive: true, force: true });
}
