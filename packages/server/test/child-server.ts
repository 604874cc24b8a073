import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The server's own bin: one process, so a signal reaches the server itself. */
const SERVER_BIN = fileURLToPath(new URL("../bin/layerlab-server.js", import.meta.url));

/** A server running in a child process. */
export interface ChildServer {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Sends a signal and resolves once the process has exited, with its exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How a child server ended before it listened. */
export interface ChildExit {
  code: number | null;
  output: string;
}

/**
 * Starts the server's bin in a child process with `env` added to this process's
 * environment (PORT=0 unless given) and resolves once it prints its URL;
 * rejects with its output when it exits first.
 */
export function spawnServer(env: Record<string, string>, timeoutMs = 60_000): Promise<ChildServer> {
  const child = spawn(process.execPath, [SERVER_BIN], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LayerLab server listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          output: () => output,
          stop: async (signal = "SIGTERM") => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`the server exited with ${code}:\n${output}`), { code, output }));
    });
  });
}

/** Runs the server entry with `env` and resolves when it exits (for configurations it must refuse). */
export function runServerExpectingExit(env: Record<string, string>, timeoutMs = 60_000): Promise<ChildExit> {
  return spawnServer(env, timeoutMs).then(
    async (server) => {
      await server.stop();
      throw new Error(`the server started on ${server.url} although it should have refused`);
    },
    (err: Error & Partial<ChildExit>) => {
      if (err.output === undefined) throw err;
      return { code: err.code ?? null, output: err.output };
    },
  );
}
