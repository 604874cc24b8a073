import type { RunDetail } from "@layerlab/api";
import { startFleet } from "../test/worker-fleet";

/*
 * Load check (not a test): 50 tiny server runs queued at once on a server
 * that trains nothing itself (PostgreSQL, MAX_CONCURRENT_JOBS=0), trained by
 * two `layerlab worker` processes. Prints runs per minute, the queue wait
 * (startedAt − createdAt: until training starts, so it includes claiming and
 * loading the model and data) p50/p95/max, and checks that no run was lost
 * or trained twice (every run succeeded; its events are 0..n with one
 * `start` and one `done`).
 *   npx tsx packages/server/load/workers-50.ts [--runs 50] [--jobs 2]
 */

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("--runs", 50);
/** Runs each worker trains at once. */
const JOBS = arg("--jobs", 2);
const DEADLINE_MS = 900_000;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const fleet = await startFleet({ leaseSeconds: 10 });
try {
  fleet.startWorker("load-a", JOBS);
  fleet.startWorker("load-b", JOBS);
  const ids: string[] = [];
  const queuedAt = Date.now();
  for (let seed = 1; seed <= RUNS; seed++) {
    ids.push(
      await fleet.queueRun({
        template: "mlp",
        dataset: "shapes",
        executor: "server",
        limit: 120,
        config: { epochs: 1, seed, batchSize: 32 },
        ifExists: "new",
      }),
    );
  }
  let runs: RunDetail[] = [];
  for (;;) {
    runs = await Promise.all(ids.map((id) => fleet.run(id)));
    if (runs.every((r) => !["queued", "running"].includes(r.status))) break;
    if (Date.now() - queuedAt > DEADLINE_MS) throw new Error("the runs did not all end within 15 minutes");
    await new Promise((r) => setTimeout(r, 250));
  }
  const endedAt = Math.max(...runs.map((r) => r.finishedAt ?? 0));
  const waits = runs.map((r) => ((r.startedAt ?? Number.NaN) - r.createdAt) / 1000).sort((a, b) => a - b);
  const problems: string[] = [];
  for (const r of runs) {
    if (r.status !== "succeeded") problems.push(`run ${r.id} ended ${r.status}: ${r.error}`);
    const events = await fleet.events(r.id);
    if (events.some((e, i) => e.seq !== i)) problems.push(`run ${r.id}: its events have a gap`);
    const starts = events.filter((e) => e.type === "start").length;
    const dones = events.filter((e) => e.type === "done").length;
    if (starts !== 1) problems.push(`run ${r.id}: trained in ${starts} sessions`);
    if (dones !== 1) problems.push(`run ${r.id}: ${dones} done events`);
  }
  const byWorker = new Map<string, number>();
  for (const r of runs) byWorker.set(r.worker ?? "the server", (byWorker.get(r.worker ?? "the server") ?? 0) + 1);
  const minutes = (endedAt - queuedAt) / 60_000;
  console.log(`${RUNS} runs on 2 workers × ${JOBS} slots in ${(minutes * 60).toFixed(1)} s`);
  console.log(`throughput: ${(RUNS / minutes).toFixed(1)} runs/min`);
  console.log(
    `queue wait (startedAt − createdAt): p50 ${quantile(waits, 0.5).toFixed(1)} s, p95 ${quantile(waits, 0.95).toFixed(1)} s, max ${waits.at(-1)!.toFixed(1)} s`,
  );
  console.log(`runs per worker: ${[...byWorker].map(([w, n]) => `${w} ${n}`).join(", ")}`);
  console.log(problems.length === 0 ? "none lost, none trained twice" : problems.join("\n"));
  if (problems.length > 0) process.exitCode = 1;
} finally {
  await fleet.close();
}
