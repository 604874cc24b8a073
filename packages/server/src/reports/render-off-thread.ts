import { resolve } from "node:path";
import { Worker } from "node:worker_threads";
import type { ReportOptions } from "@layerlab/report";

const WORKER_URL = new URL("./report-worker-boot.mjs", import.meta.url);

/** What a report worker is given: the run folder and the report's options (structured-cloneable). */
export interface ReportJob {
  runDir: string;
  options: ReportOptions;
}

/** What a report worker answers. */
export type ReportOutcome = { ok: true; path: string } | { ok: false; message: string; stack: string | null };

/** Renders in flight, by run folder: a second request for the same report waits for the first. */
const inFlight = new Map<string, Promise<string>>();

/**
 * Writes `<runDir>/report.html` as `writeReport` does, but in a worker thread: rendering runs the model on
 * test images and encodes PNGs, hundreds of milliseconds of CPU that would otherwise stall every other
 * request. Resolves with the report's path; rejects with the renderer's error.
 */
export function writeReportOffThread(runDir: string, options: ReportOptions = {}): Promise<string> {
  const dir = resolve(runDir);
  const running = inFlight.get(dir);
  if (running) return running;
  const render = renderInWorker({ runDir: dir, options }).finally(() => inFlight.delete(dir));
  inFlight.set(dir, render);
  return render;
}

function renderInWorker(job: ReportJob): Promise<string> {
  return new Promise((resolvePath, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: job });
    let outcome: ReportOutcome | null = null;
    worker.once("message", (m: ReportOutcome) => {
      outcome = m;
      // The engine's Wasm threads can keep the thread alive after the report is written.
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (outcome?.ok) resolvePath(outcome.path);
      else if (outcome)
        reject(Object.assign(new Error(outcome.message), outcome.stack ? { stack: outcome.stack } : {}));
      else reject(new Error(`the report worker for ${job.runDir} exited with code ${code} before writing the report`));
    });
  });
}
