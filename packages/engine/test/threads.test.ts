import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("./fixtures/train-steps.ts", import.meta.url));
const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));

function runSteps(threads: number): { last: string; digest: string; workers: number } {
  const out = execFileSync(tsx, [script, String(threads)], { encoding: "utf8", timeout: 120_000 });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

describe("multithreaded Wasm in Node", () => {
  it("runs kernels on worker threads and trains to bit-identical weights", () => {
    const single = runSteps(1);
    const threaded = runSteps(2);
    expect(single).toMatchObject({ last: "done", workers: 0 });
    expect(threaded).toMatchObject({ last: "done", workers: 2 });
    expect(threaded.digest).toBe(single.digest);
  });
});
