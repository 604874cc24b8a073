import { Command } from "commander";
import { CliError } from "../errors";
import { intIn } from "../options";

interface ServeOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  log?: boolean;
}

/** `layerlab serve [--host H] [--port P] [--data-dir DIR]`: the studio's server, configured like `npm start`. */
export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "Start the LayerLab server (API, job queue, web app). Flags override the environment: HOST, PORT, DATA_DIR; LAYERLAB_TOKEN, MAX_UPLOAD_MB, MAX_CONCURRENT_JOBS are read from it.",
    )
    .option("--host <host>", "address to listen on (default $HOST or 127.0.0.1; another address needs LAYERLAB_TOKEN)")
    .option("--port <port>", "port to listen on, 0 for any free one (default $PORT or 3000)", intIn(0, 65535))
    .option("--data-dir <dir>", "folder of the registry, run folders and datasets (default $DATA_DIR or ./data)")
    .option("--log", "log every request (JSON lines) instead of warnings only")
    .action(async (opts: ServeOptions) => {
      const env = {
        ...process.env,
        ...(opts.host !== undefined && { HOST: opts.host }),
        ...(opts.port !== undefined && { PORT: String(opts.port) }),
        ...(opts.dataDir !== undefined && { DATA_DIR: opts.dataDir }),
      };
      // Loaded here, so that the other commands do not pay for the server's start-up.
      const { ConfigError, startServer } = await import("@layerlab/server");
      try {
        const { url, app } = await startServer({ env, logger: { level: opts.log ? "info" : "warn" } });
        process.stdout.write(`LayerLab studio at ${url} (data in ${app.settings.dataDir}); Ctrl-C stops it\n`);
      } catch (err) {
        if (err instanceof ConfigError) {
          throw new CliError(err.message, "fix the flag or variable it names; see 'layerlab serve --help'");
        }
        if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
          throw new CliError(`port ${env.PORT ?? 3000} is in use`, "pick another with --port, or stop what uses it");
        }
        throw err;
      }
    });
}
