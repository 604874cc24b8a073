import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { readRunInfo } from "@layerlab/runner";
import { type ModelSpec, tryBuildTemplate } from "@layerlab/spec";
import { afterAll, describe, expect, it } from "vitest";
import { jobThreadData, startJobThread } from "../src/jobs/job-thread";
import type { JobInput, ServerMessage, WorkerMessage } from "../src/jobs/job-types";

const work = mkdtempSync(join(tmpdir(), "layerlab-job-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Starts a real job thread as the queue does: with the Wasm threads `input`'s model wants. */
function startThread(input: JobInput): Worker {
  return startJobThread(jobThreadData(input));
}

/** Trains one job on `thread` and collects what it posts until the job is over (the thread lives on). */
function runOn(thread: Worker, input: JobInput): Promise<WorkerMessage[]> {
  const messages: WorkerMessage[] = [];
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerMessage) => {
      messages.push(m);
      if (m.type !== "finished" && m.type !== "crashed") return;
      thread.off("message", onMessage);
      thread.off("error", reject);
      resolve(messages);
    };
    thread.on("message", onMessage);
    thread.on("error", reject);
    thread.postMessage({ type: "train", input } satisfies ServerMessage);
  });
}

/** Trains one job in a thread of its own, then ends the thread. */
async function runInWorker(input: JobInput): Promise<WorkerMessage[]> {
  const thread = startThread(input);
  try {
    return await runOn(thread, input);
  } finally {
    await thread.terminate();
  }
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
    // Two batches: what is checked is the thread's protocol and the folder it leaves, not what is learnt.
    limit: 64,
  };
}

describe("job worker", () => {
  it("trains a CNN for one epoch into a runner folder, its conv blocks on the engine's kernels and their helpers", async () => {
    const messages = await runInWorker(shapesJob("cnn", "cnn"));
    const events = messages.flatMap((m) => (m.type === "event" ? [m.event] : []));
    expect(events.map((e) => e.type)).toContain("checkpoint");
    expect(events.at(-1)?.type).toBe("done");
    const finished = messages.at(-1);
    expect(finished?.type).toBe("finished");
    // jax-js stays on one thread (it runs no conv of this model); the conv kernels take a helper per extra core.
    expect(finished).toEqual({ type: "finished", wasmThreads: 0, kernelHelpers: availableParallelism() - 1 });
    const info = await readRunInfo(join(work, "cnn"));
    expect(info.status).toBe("succeeded");
    expect(info.environment).toMatchObject({ wasmThreads: 1, convThreads: availableParallelism() });
    expect(info.epochsDone).toBe(1);
    const artifacts = messages.flatMap((m) => (m.type === "artifact" ? [m.name] : []));
    expect(artifacts).toEqual(expect.arrayContaining(["weights.safetensors", "run.json", "events.jsonl"]));
  });

  it("keeps a dense model single-threaded, reports a refused job, and trains the next job on the same thread", async () => {
    const thread = startThread(shapesJob("mlp", "mlp"));
    try {
      const mlp = await runOn(thread, shapesJob("mlp", "mlp"));
      expect(mlp.at(-1)).toEqual({ type: "finished", wasmThreads: 0, kernelHelpers: 0 });
      const refused = await runOn(thread, { ...shapesJob("bad", "mlp"), config: { epochs: 0 } });
      const last = refused.at(-1);
      expect(last?.type).toBe("crashed");
      expect(last?.type === "crashed" && last.message).toMatch(/config/);
      // The thread stays loaded (and keeps the shapes it drew) for the queue's next job.
      const next = await runOn(thread, {
        ...shapesJob("mlp-next", "mlp"),
        config: { epochs: 1, batchSize: 32, seed: 9 },
      });
      expect(next.at(-1)).toEqual({ type: "finished", wasmThreads: 0, kernelHelpers: 0 });
      expect(next.flatMap((m) => (m.type === "event" ? [m.event.type] : [])).at(-1)).toBe("done");
      expect((await readRunInfo(join(work, "mlp-next"))).status).toBe("succeeded");
    } finally {
      await thread.terminate();
    }
  });
});
