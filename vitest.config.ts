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
