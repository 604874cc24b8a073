/**
 * One LayerLab server on a throw-away PostgreSQL cluster, and `layerlab
 * worker` processes around it, all real processes on loopback: what the
 * scale-out tests and the workers load script drive.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CreateRunBody, RunDetail, RunView } from "@layerlab/api";
import pg from "pg";
import { type ChildServer, spawnServer } from "./child-server";
import { type PostgresCluster, startPostgresCluster } from "./postgres/cluster";

/** How long a server may take to start: minutes on a machine that many test processes share. */
const SERVER_START_MS = 180_000;

/** The `layerlab` bin, as a user runs it. */
const LAYERLAB_BIN = fileURLToPath(new URL("../../cli/bin/layerlab.js", import.meta.url));

/** A `layerlab worker` child process. */
export interface WorkerProcess {
  name: string;
  dataDir: string;
  child: ChildProcess;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when a signal ended it) once it has exited. */
  exited: Promise<number | null>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `layerlab worker` with these flags. */
export function spawnWorker(flags: string[], name: string, dataDir: string): WorkerProcess {
  const child = spawn(process.execPath, [LAYERLAB_BIN, "worker", ...flags], {
    env: { ...process.env, LAYERLAB_TOKEN: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    name,
    dataDir,
    child,
    output: () => output,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A server on PostgreSQL with workers, and the means to break and restart them. */
export interface Fleet {
  url: string;
  token: string;
  server: ChildServer;
  workers: Map<string, WorkerProcess>;
  /** An API call with the token; the JSON answer (null for an empty one). */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Queues a server run; its id. */
  queueRun(body: CreateRunBody): Promise<string>;
  /** A run as GET /api/runs/:id answers. */
  run(runId: string): Promise<RunDetail>;
  /** The events the server stored for a run, in order (its history as Server-Sent Events). */
  events(runId: string): Promise<{ seq: number; type: string; reason?: string }[]>;
  /** Starts (or starts again, on its own data folder) the worker of this name. */
  startWorker(name: string, jobs?: number): WorkerProcess;
  /** SIGKILLs the server and starts it again on the same port, data folder and database. */
  restartServer(): Promise<void>;
  /** Stops everything and deletes the folders and the cluster. */
  close(): Promise<void>;
}

/** Starts a cluster, a database, and a server that leaves every run to workers (MAX_CONCURRENT_JOBS=0). */
export async function startFleet(opts: { leaseSeconds: number }): Promise<Fleet> {
  const root = mkdtempSync(join(tmpdir(), "layerlab-fleet-"));
  let cluster: PostgresCluster | null = null;
  try {
    cluster = await startPostgresCluster();
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    await admin.query("create database layerlab_fleet");
    await admin.end();
    const databaseUrl = new URL(cluster.adminUrl);
    databaseUrl.pathname = "/layerlab_fleet";
    const token = "fleet-token-0123456789abcdef";
    const env: Record<string, string> = {
      DATA_DIR: join(root, "server"),
      DATABASE_URL: databaseUrl.toString(),
      LAYERLAB_TOKEN: token,
      MAX_CONCURRENT_JOBS: "0",
      WORKER_LEASE_S: String(opts.leaseSeconds),
    };
    let server = await spawnServer(env, SERVER_START_MS);
    const port = new URL(server.url).port;
    const workers = new Map<string, WorkerProcess>();
    const clusterOf = cluster;
    const fleet: Fleet = {
      url: server.url,
      token,
      get server() {
        return server;
      },
      workers,
      api: async (method, path, body) => {
        const res = await fetch(`${server.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined && { "content-type": "application/json" }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : null };
      },
      queueRun: async (body) => {
        const { status, body: answer } = await fleet.api("POST", "/api/runs", body);
        if (status !== 201) throw new Error(`POST /api/runs answered ${status}: ${JSON.stringify(answer)}`);
        return RunView.parse(answer).id;
      },
      run: async (runId) => {
        const { status, body } = await fleet.api("GET", `/api/runs/${runId}`);
        if (status !== 200) throw new Error(`GET /api/runs/${runId} answered ${status}: ${JSON.stringify(body)}`);
        return RunDetail.parse(body);
      },
      events: async (runId) => {
        const res = await fetch(`${server.url}/api/runs/${runId}/events?mode=history`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const events: { seq: number; type: string }[] = [];
        for (const block of (await res.text()).split("\n\n")) {
          const data = block.split("\n").find((l) => l.startsWith("data: "));
          if (data && !block.includes("event: end")) events.push(JSON.parse(data.slice(6)));
        }
        return events;
      },
      startWorker: (name, jobs = 1) => {
        const dataDir = join(root, `worker-${name}`);
        const flags = ["--server", server.url, "--token", token, "--name", name, "--jobs", String(jobs)];
        const worker = spawnWorker([...flags, "--data-dir", dataDir], name, dataDir);
        workers.set(name, worker);
        return worker;
      },
      restartServer: async () => {
        await server.stop("SIGKILL");
        server = await spawnServer({ ...env, PORT: port }, SERVER_START_MS);
      },
      close: async () => {
        await Promise.all([...workers.values()].map((w) => w.stop("SIGKILL")));
        await server.stop("SIGKILL");
        clusterOf.stop();
        rmSync(root, { recursive: true, force: true });
      },
    };
    return fleet;
  } catch (err) {
    cluster?.stop();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
