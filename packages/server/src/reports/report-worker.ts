import { parentPort, workerData } from "node:worker_threads";
import { writeReport } from "@layerlab/report";
import type { ReportJob, ReportOutcome } from "./render-off-thread";

// One job per thread: render, say how it went, and let the parent end the thread.
const { runDir, options } = workerData as ReportJob;
const outcome: ReportOutcome = await writeReport(runDir, undefined, options).then(
  (path) => ({ ok: true, path }),
  (err: Error) => ({ ok: false, message: err.message, stack: err.stack ?? null }),
);
parentPort?.postMessage(outcome);
