import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { readRunInfo } from "@layerlab/runner";
import { type ModelSpec, tryBuildTemplate } from "@layerlab/spec";
import { afterAll, describe, expect, it } from "vitest";
import type { JobInput, WorkerMessage } from "../src/jobs/job-types";

const WORKER_URL = new URL("../src/jobs/worker-boot.mjs", import.meta.url);
const work = mkdtempSync(join(tmpdir(), "layerlab-job-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs one job in a real job worker thread and collects what it posts until it is done. */
function runInWorker(input: JobInput): Promise<WorkerMessage[]> {
  const messages: WorkerMessage[] = [];
  const worker = new Worker(WORKER_URL, { workerData: input });
  return new Promise((resolve, reject) => {
    worker.on("message", (m: WorkerMessage) => {
      messages.push(m);
      if (m.type === "finished" || m.type === "crashed") void worker.terminate().then(() => resolve(messages));
    });
    worker.on("error", reject);
  });
}

function shapesJob(name: string, template: string): JobInput {
  const built = tryBuildTemplate(template, { inputShape: [1, 28, 28], classes: ["circle", "square", "triangle"] });
  return {
    runId: `run-test-${name}`,
    runDir: join(work, name),
    dataDir: work,
    name,
    spec: built.spec as ModelSpec,
    config: { epochs: 1, batchSize: 32 },
    dataset: { kind: "builtin", name: "shapes" },
    limit: 300,
  };
}

describe("job worker", () => {
  it("trains a CNN for one epoch on Wasm threads into a runner folder", async () => {
    const messages = await runInWorker(shapesJob("cnn", "cnn"));
    const events = messages.flatMap((m) => (m.type === "event" ? [m.event] : []));
    expect(events.map((e) => e.type)).toContain("checkpoint");
    expect(events.at(-1)?.type).toBe("done");
    const finished = messages.at(-1);
    expect(finished?.type).toBe("finished");
    // enableWasmThreads ran before jax-js loaded, so its kernel pool started (one thread per core).
    const threads = finished?.type === "finished" ? finished.wasmThreads : -1;
    if (availableParallelism() > 1) expect(threads).toBeGreaterThan(0);
    const info = await readRunInfo(join(work, "cnn"));
    expect(info.status).toBe("succeeded");
    expect(info.epochsDone).toBe(1);
    const artifacts = messages.flatMap((m) => (m.type === "artifact" ? [m.name] : []));
    expect(artifacts).toEqual(expect.arrayContaining(["weights.safetensors", "run.json", "events.jsonl"]));
  });

  it("keeps a dense model single-threaded and reports a refused job", async () => {
    const mlp = await runInWorker(shapesJob("mlp", "mlp"));
    expect(mlp.at(-1)).toEqual({ type: "finished", wasmThreads: 0 });
    const refused = await runInWorker({ ...shapesJob("bad", "mlp"), config: { epochs: 0 } });
    const last = refused.at(-1);
    expect(last?.type).toBe("crashed");
    expect(last?.type === "crashed" && last.message).toMatch(/config/);
  });
});
