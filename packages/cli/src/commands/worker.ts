import { hostname } from "node:os";
import { WorkerName } from "@layerlab/api";
import { Command, InvalidArgumentError, Option } from "commander";
import { CliError } from "../errors";
import { dataDirOf, dataDirOption, intIn } from "../options";
import { RefusedError, ServerClient, TokenRefusedError } from "../worker/server-client";
import { runWorker } from "../worker/worker-loop";

interface WorkerFlags {
  server: string;
  token?: string;
  jobs: number;
  name?: string;
  dataDir?: string;
}

/** The default worker name: this machine's host name, made into a valid name. */
function defaultName(): string {
  const name = hostname()
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  return name || "worker";
}

function workerName(text: string): string {
  const parsed = WorkerName.safeParse(text);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? "not a worker name");
  return parsed.data;
}

/** `layerlab worker --server URL [--token T] [--jobs N] [--name NAME] [--data-dir DIR]`. */
export function workerCommand(): Command {
  return new Command("worker")
    .description(
      "Train a LayerLab server's queued runs on this machine: claims runs, trains them, and sends events and checkpoints back. The server needs DATABASE_URL (PostgreSQL); a run whose worker stops is resumed by another.",
    )
    .option("--server <url>", "the LayerLab server (default $LAYERLAB_SERVER or http://127.0.0.1:3000)")
    .option("--token <token>", "the server's access token (default $LAYERLAB_TOKEN)")
    .addOption(new Option("--jobs <n>", "runs trained at once").argParser(intIn(1, 64)).default(1))
    .addOption(
      new Option("--name <name>", "this worker's name, shown on the Runs page (default: the host name)").argParser(
        workerName,
      ),
    )
    .addOption(dataDirOption())
    .addHelpText(
      "after",
      "\nExample:\n  layerlab worker --server http://studio.lan:3000 --token $LAYERLAB_TOKEN --jobs 2 --name gpu-box-1\n\nCtrl-C stops the worker; the server gives its unfinished runs to another worker after WORKER_LEASE_S, which resumes them from their last checkpoint.",
    )
    .action(async (opts: WorkerFlags) => {
      const server = opts.server ?? process.env.LAYERLAB_SERVER ?? "http://127.0.0.1:3000";
      const token = opts.token ?? process.env.LAYERLAB_TOKEN?.trim();
      const name = opts.name ?? defaultName();
      const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
      const client = new ServerClient(server, token || undefined);
      client.onReachability = (reachable, detail) =>
        log(
          reachable
            ? `the server at ${server} answers again`
            : `the server at ${server} does not answer (${detail}); retrying`,
        );
      const controller = new AbortController();
      const stop = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) process.exit(130);
        log(`${signal}: stopping; the server hands this worker's unfinished runs on once its lease runs out`);
        controller.abort(signal);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      try {
        await runWorker({ client, name, slots: opts.jobs, dataDir: dataDirOf(opts), log, signal: controller.signal });
      } catch (err) {
        if (err instanceof TokenRefusedError) {
          throw new CliError(
            err.message,
            token
              ? "pass the server's LAYERLAB_TOKEN with --token (or set LAYERLAB_TOKEN)"
              : "the server needs its access token: pass it with --token or set LAYERLAB_TOKEN",
          );
        }
        if (err instanceof RefusedError) {
          throw new CliError(err.message, "fix what the server names, then start the worker again");
        }
        throw err;
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
      // Training threads of unfinished runs would keep the process alive; the lease hands those runs on.
      process.exit(0);
    });
}
