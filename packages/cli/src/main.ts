import { enableWasmThreads } from "@layerlab/engine/node";
import { wasmThreadsForCommandLine } from "./threads";

/*
 * The `layerlab` entry point (bin/layerlab.js loads it from a cached bundle). The exit
 * code is set rather than forced, so that pending writes reach the terminal.
 */
// A closed pipe (`layerlab runs list | head`) ends the output, not the program with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}
// jax-js fixes its memory model when its backend starts, so a conv net's Wasm threads are decided
// before anything loads it: the commands (and through them jax-js) are imported only below.
enableWasmThreads(wasmThreadsForCommandLine(process.argv.slice(2)));
const { runCli } = await import("./program");
process.exitCode = await runCli(process.argv.slice(2));
