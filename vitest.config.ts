import { defineConfig } from "vitest/config";

// One runner for every package. The "slow" project holds suites that train on
// real MNIST; CI runs both, `npm run test:fast` skips it while iterating.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "fast",
          include: ["packages/*/test/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["packages/*/test/**/*.slow.test.ts"],
          // One studio build per run, shared by every end-to-end file (made by the first that needs it).
          globalSetup: ["packages/web/test/shared-build.global.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The server's suites again with the registry in PostgreSQL (a cluster of its own, see
        // packages/server/test/postgres/): the same behaviour on both databases. Disk-full and
        // data-folder checks are about the SQLite file and folder, so they run once, above.
        test: {
          name: "postgres",
          include: ["packages/server/test/**/*.test.ts"],
          exclude: [
            "packages/server/test/**/*.slow.test.ts",
            "packages/server/test/disk-full.test.ts",
            "packages/server/test/data-dir.test.ts",
          ],
          globalSetup: ["packages/server/test/postgres/postgres.global.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "slow",
          include: ["packages/*/test/**/*.slow.test.ts"],
          testTimeout: 900_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
