import { ConfigError } from "./config";
import { startServer } from "./server";

// `npm start -w @layerlab/server` (bin/layerlab-server.js): configuration from the environment.
startServer().then(
  ({ url }) => process.stdout.write(`LayerLab server listening on ${url}\n`),
  (err: Error) => {
    process.stderr.write(`${err instanceof ConfigError ? "configuration error" : "cannot start"}: ${err.message}\n`);
    process.exit(1);
  },
);
