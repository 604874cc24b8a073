import { runCli } from "./program";

/*
 * The `layerlab` entry point (bin/layerlab.js runs it through tsx). The exit
 * code is set rather than forced, so that pending writes reach the terminal.
 */
// A closed pipe (`layerlab runs list | head`) ends the output, not the program with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}
process.exitCode = await runCli(process.argv.slice(2));
