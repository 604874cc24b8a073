/**
 * A throw-away PostgreSQL cluster for tests: Debian's `postgresql` package
 * provides the binaries; `initdb` makes a cluster in a temporary folder, and
 * it listens on 127.0.0.1 only, on a free port, with trust authentication
 * (nothing else can reach it) and without fsync (its data dies with the run).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running cluster and how to stop it. */
export interface PostgresCluster {
  /** postgres://layerlab@127.0.0.1:<port>/postgres — the maintenance database, for CREATE DATABASE. */
  adminUrl: string;
  stop(): void;
}

/** The folder of Debian's PostgreSQL server binaries (the newest installed version). */
function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) {
    throw new Error(
      "PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): run `apt-get install -y postgresql` (.ci/run does)",
    );
  }
  return join(root, newest, "bin");
}

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root, so as root the cluster belongs to Debian's `postgres` user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
}

/** Creates and starts a cluster; `stop()` stops it and deletes its folder. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const root = mkdtempSync(join(tmpdir(), "layerlab-pg-"));
  chmodSync(root, 0o777);
  const data = join(root, "data");
  const port = await freePort();
  const run = (command: string, args: string[]) => {
    const [file, argv] = asServerUser(join(bin, command), args);
    execFileSync(file, argv, { stdio: "pipe" });
  };
  run("initdb", ["-D", data, "-U", "layerlab", "-A", "trust", "--no-sync", "--locale=C", "-E", "UTF8"]);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  run("pg_ctl", ["-D", data, "-o", options, "-l", join(root, "log"), "-w", "-t", "60", "start"]);
  return {
    adminUrl: `postgres://layerlab@127.0.0.1:${port}/postgres`,
    stop: () => {
      const [file, argv] = asServerUser(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      spawnSync(file, argv, { stdio: "ignore" });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
