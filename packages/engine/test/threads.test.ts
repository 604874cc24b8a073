import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("./fixtures/train-steps.ts", import.meta.url));
const freshStacks = fileURLToPath(new URL("./fixtures/fresh-stacks.ts", import.meta.url));
const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));

type Steps = { last: string; digest: string; workers: number; helpers: number };

function runSteps(threads: number, kernelHelper: boolean): Steps {
  const args = [script, String(threads), kernelHelper ? "1" : "0"];
  const out = execFileSync(tsx, args, { encoding: "utf8", timeout: 120_000 });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

describe("multithreaded Wasm in Node", () => {
  it("runs kernels on worker threads and trains to bit-identical weights", () => {
    const single = runSteps(1, false);
    // One helper thread for the engine's own conv kernels, which split each product by rows.
    const helped = runSteps(1, true);
    // jax-js's pool of two, and the conv kernels' helper.
    const threaded = runSteps(2, true);
    expect(single).toMatchObject({ last: "done", workers: 0, helpers: 0 });
    expect(helped).toMatchObject({ last: "done", workers: 0, helpers: 1 });
    expect(threaded).toMatchObject({ last: "done", workers: 2, helpers: 1 });
    expect(helped.digest).toBe(single.digest);
    expect(threaded.digest).toBe(single.digest);
  });

  it("serves a job posted the moment a helper thread is ready (an evaluator's first batch)", () => {
    // A helper that read the job sequence after saying ready took such a job for one already done and
    // waited for the next forever: 100 fresh stacks hung within a few every time.
    const out = execFileSync(tsx, [freshStacks, "100"], { encoding: "utf8", timeout: 60_000 });
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ finished: 100 });
  });
});
