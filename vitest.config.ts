import { defineConfig } from "vitest/config";

/** The packages whose suites run in the "fast-shared" project (see there). */
const SHARED_MODULE_SUITES = ["server", "cli", "web", "spec", "api", "data-core", "data-node", "report", "launch"].map(
  (name) => `packages/${name}/test/**/*.test.ts`,
);
/** The suites of the "engine-shared" project (see there). */
const SHARED_ENGINE_SUITES = [
  "packages/engine/test/**/*.test.ts",
  "packages/runner/test/**/*.test.ts",
  "bench/**/*.test.ts",
];

// One runner for every package. The "slow" project holds suites that train on
// real MNIST; CI runs every project, `npm run test:fast` skips the slow one while iterating.
export default defineConfig({
  test: {
    // Two files at a time on a 2-core machine: end-to-end files spend much of their time waiting on
    // Chromium, servers and child processes, so a second file overlaps that wait (Vitest's default is one
    // fewer than the cores, i.e. one).
    maxWorkers: 2,
    projects: [
      {
        // Suites that share one module instance per Vitest worker: each file's imports (the server,
        // Fastify, Playwright, zod's schemas) are evaluated once per worker instead of once per file,
        // which was a third of the server suites' CPU. What they start (servers, browsers, folders) is
        // their own. The engine's suites share theirs in a project of their own, "engine-shared".
        test: {
          name: "fast-shared",
          include: SHARED_MODULE_SUITES,
          exclude: ["packages/*/test/**/*.slow.test.ts"],
          // One studio build per run, shared by every end-to-end file (made by the first that needs it).
          globalSetup: ["packages/web/test/shared-build.global.ts"],
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The engine's, runner's and benchmark's suites, sharing one jax-js per Vitest worker (a third less
        // CPU than a fresh one per file). Nothing here may define a global `Worker`: jax-js reads it when it
        // compiles each kernel, and kernels compiled for a worker pool's shared memory cannot link to the
        // unshared memory its backend was made with (a LinkError in every later file of that worker).
        test: {
          name: "engine-shared",
          include: SHARED_ENGINE_SUITES,
          exclude: ["packages/*/test/**/*.slow.test.ts"],
          isolate: false,
          setupFiles: ["test-support/no-global-worker.setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Each file in a fresh module graph: the exporter's suites load onnxruntime-web, whose threaded
        // Wasm build defines a global `Worker` in Node (see "engine-shared").
        test: {
          name: "isolated",
          include: ["packages/*/test/**/*.test.ts"],
          exclude: ["packages/*/test/**/*.slow.test.ts", ...SHARED_MODULE_SUITES, ...SHARED_ENGINE_SUITES],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The server's suites that read and write the registry, again with the registry in PostgreSQL
        // (a cluster of their own, see packages/server/test/postgres/): runs, lists, duplicates, the queue,
        // crash recovery, resumes and imports behave the same on both databases. Suites about HTTP framing,
        // limits, files on disk and the training thread do not touch the database and run once, above.
        test: {
          name: "postgres",
          include: [
            "packages/server/test/server.test.ts",
            "packages/server/test/registry-database.test.ts",
            "packages/server/test/run-list.test.ts",
            "packages/server/test/duplicates.test.ts",
            "packages/server/test/queue.test.ts",
            "packages/server/test/crash.test.ts",
            "packages/server/test/browser-resume.test.ts",
            "packages/server/test/import-run.test.ts",
            "packages/server/test/stale-models.test.ts",
          ],
          globalSetup: ["packages/server/test/postgres/postgres.global.ts"],
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Not `fileParallelism: false`: Vitest runs such a project's files after every other file, alone,
        // which left one core idle for the slow file's whole run (about 45 s) at the end of `npm test`.
        test: {
          name: "slow",
          include: ["packages/*/test/**/*.slow.test.ts"],
          testTimeout: 900_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
