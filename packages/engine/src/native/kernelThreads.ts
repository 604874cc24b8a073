import type { WorkerClass } from "../threads";
import type { ConvKernelExports, KernelInstance } from "./kernels";

/*
 * Worker threads that run kernels on the same shared memory as the training thread, so a product can be
 * split by rows between them. Jobs go through a control block in that memory (Atomics), not messages: a
 * step hands over about ten jobs, and a wake-up through Atomics costs microseconds where a message round trip
 * through the event loop costs tens of them.
 */

/** The kernels a helper runs, by the index a job names. */
const JOBS = [
  "sgemm",
  "sgemmTN",
  "im2col",
  "col2im",
  "maxPoolForward",
  "maxPoolBackward",
] as const satisfies readonly (keyof ConvKernelExports)[];
export type Job = (typeof JOBS)[number];
/** The jobs that split a batch by samples. */
export type BatchJob = Exclude<Job, "sgemm" | "sgemmTN">;

// Control block (int32): the job sequence number, the last job done, the job's index (−1: stop), its arguments.
const SEQ = 0;
const DONE = 1;
const FN = 2;
const ARGS = 3;
/** Bytes the control block takes in the kernels' memory. */
export const CONTROL_BYTES = 4 * (ARGS + 16);

// A classic worker script (a Web Worker in browsers, the engine's Web-Worker-shaped class over worker_threads
// in Node): instantiates the module on the shared memory, says it is ready, then serves jobs until told to stop.
const HELPER_SOURCE = `
self.onmessage = async (event) => {
  const { module, memory, control, jobs } = event.data;
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const kernels = instance.exports;
  const ctl = new Int32Array(memory.buffer, control, ${ARGS + 16});
  // Read before saying ready: the first job may be posted the moment "ready" arrives, and a helper that read
  // the sequence after that would take the job's number for the last one seen and wait for the next forever.
  let seen = Atomics.load(ctl, ${SEQ});
  self.postMessage("ready");
  for (;;) {
    Atomics.wait(ctl, ${SEQ}, seen);
    seen = Atomics.load(ctl, ${SEQ});
    const fn = ctl[${FN}];
    if (fn < 0) return;
    kernels[jobs[fn]](...ctl.subarray(${ARGS}, ${ARGS} + ctl[${ARGS} + 15]));
    Atomics.store(ctl, ${DONE}, seen);
    Atomics.notify(ctl, ${DONE});
  }
};`;

type WorkerLike = InstanceType<WorkerClass>;

/** A helper thread serving jobs on a kernel instance's shared memory. */
export class KernelHelper {
  private readonly control: Int32Array;
  private seq = 0;
  private busy = false;

  private constructor(
    private readonly worker: WorkerLike,
    memory: WebAssembly.Memory,
    at: number,
  ) {
    this.control = new Int32Array(memory.buffer, at, ARGS + 16);
  }

  /** Starts a helper on the control block at byte `at`; null when it cannot start (the caller does its part). */
  static async start(instance: KernelInstance, at: number, WorkerClass: WorkerClass): Promise<KernelHelper | null> {
    if (!instance.shared) return null;
    const url = URL.createObjectURL(new Blob([HELPER_SOURCE], { type: "text/javascript" }));
    let worker: WorkerLike | null = null;
    try {
      worker = new WorkerClass(url);
      const started = worker;
      await new Promise<void>((resolve, reject) => {
        started.onmessage = () => resolve();
        started.onerror = (err) => reject(err);
        started.postMessage({ module: instance.module, memory: instance.memory, control: at, jobs: JOBS });
      });
      return new KernelHelper(started, instance.memory, at);
    } catch {
      worker?.terminate();
      return null;
    }
  }

  /** Hands the helper a job and returns at once; `wait` blocks until it is done. */
  post(job: Job, args: number[]): void {
    if (this.busy) throw new Error("the kernel helper is given a job before its last one finished");
    const c = this.control;
    c[FN] = JOBS.indexOf(job);
    c.set(args, ARGS);
    c[ARGS + 15] = args.length;
    this.busy = true;
    this.seq = (this.seq + 1) | 0;
    Atomics.store(c, SEQ, this.seq);
    Atomics.notify(c, SEQ);
  }

  wait(): void {
    const c = this.control;
    for (let done = Atomics.load(c, DONE); done !== this.seq; done = Atomics.load(c, DONE)) {
      try {
        Atomics.wait(c, DONE, done, 50);
      } catch {
        // A browser's main thread may not block: spin.
      }
    }
    this.busy = false;
  }

  dispose(): void {
    this.control[FN] = -1;
    Atomics.store(this.control, SEQ, (this.seq + 1) | 0);
    Atomics.notify(this.control, SEQ);
    this.worker.terminate();
  }
}
