import { mkdtempSync, rmSync } from "node:fs";
import { get, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer } from "../test/child-server";
import { api, waitForStatus } from "../test/helpers";

/*
 * Load check (not a test): 200 SSE clients follow one server training run;
 * prints the delay from each event's server time (`time`, stamped when the
 * engine emits it) to its receipt by each client, p50/p95/max. Target: p95 < 1 s.
 * The server runs as a child process on 127.0.0.1 with its own DATA_DIR.
 *   npx tsx packages/server/load/sse-fanout.ts [--clients 200]
 */

const CLIENTS = Number(process.argv[process.argv.indexOf("--clients") + 1]) || 200;
const DEADLINE_MS = 300_000;

interface Client {
  delays: number[];
  seqs: number[];
  ended: Promise<void>;
}

/** Opens one SSE stream; resolves once the response headers arrived. */
function follow(url: string, liveFrom: () => number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
      const client: Client = { delays: [], seqs: [], ended: new Promise((r) => res.on("end", () => r())) };
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        const now = Date.now();
        buffer += chunk;
        let cut = buffer.indexOf("\n\n");
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf("\n\n");
          const data = block.split("\n").find((l) => l.startsWith("data: "));
          if (!data) continue;
          const event = JSON.parse(data.slice(6)) as { seq?: number; time?: number };
          if (event.seq === undefined || event.time === undefined) continue;
          client.seqs.push(event.seq);
          // Events replayed from before every client was connected measure the replay, not the relay.
          if (event.time >= liveFrom()) client.delays.push(now - event.time);
        }
      });
      resolve(client);
    });
    req.on("error", reject);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const dataDir = mkdtempSync(join(tmpdir(), "layerlab-load-sse-"));
const server = await spawnServer({ DATA_DIR: dataDir, WEB_DIR: join(dataDir, "no-web"), MAX_CONCURRENT_JOBS: "1" });
const deadline = setTimeout(() => {
  console.error("load check ran past its deadline");
  void server.stop("SIGKILL").then(() => process.exit(2));
}, DEADLINE_MS);
try {
  // A blocker holds the only job slot, so the measured run waits, queued, until every client listens.
  const blocker = await api(server.url, "POST", "/api/runs", {
    template: "mlp",
    dataset: "shapes",
    executor: "server",
    config: { epochs: 100 },
  });
  const target = await api(server.url, "POST", "/api/runs", {
    template: "mlp",
    dataset: "shapes",
    executor: "server",
    limit: 3000,
    config: { epochs: 3, batchSize: 16, seed: 7 },
  });
  console.log(`run ${target.body.id} queued at position ${target.body.queuePosition}; connecting ${CLIENTS} clients`);
  let liveFrom = Number.POSITIVE_INFINITY;
  const url = `${server.url}/api/runs/${target.body.id}/events`;
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => follow(url, () => liveFrom)));
  liveFrom = Date.now();
  await api(server.url, "POST", `/api/runs/${blocker.body.id}/abort`);
  await Promise.all(clients.map((c) => c.ended));
  const run = await waitForStatus(server.url, target.body.id, ["succeeded", "failed", "aborted"]);
  const delays = clients.flatMap((c) => c.delays).sort((a, b) => a - b);
  const full = clients[0]!.seqs;
  const complete = clients.filter((c) => c.seqs.join() === full.join()).length;
  console.log(
    JSON.stringify({
      clients: CLIENTS,
      runStatus: run.status,
      eventsPerClient: full.length,
      clientsWithTheSameFullStream: complete,
      deliveries: delays.length,
      delayMs: {
        p50: percentile(delays, 50),
        p95: percentile(delays, 95),
        p99: percentile(delays, 99),
        max: delays.at(-1),
      },
      targetP95Ms: 1000,
    }),
  );
} finally {
  clearTimeout(deadline);
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
