import { afterAll } from "vitest";

/*
 * The "engine-shared" project's files share one jax-js per Vitest worker. jax-js reads the global `Worker`
 * when it compiles each kernel: once a file defines one (a worker-pool shim, onnxruntime-web's threaded
 * build), every later file in that worker fails with a LinkError that names neither. This names the file.
 */
afterAll(() => {
  if (typeof (globalThis as { Worker?: unknown }).Worker !== "undefined") {
    throw new Error(
      "this file left a global `Worker` defined, which breaks jax-js for every later file sharing this Vitest " +
        "worker: move it to the 'isolated' project in vitest.config.ts, or undefine `Worker` when it ends",
    );
  }
});
