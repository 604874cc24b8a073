import { DatasetImportError } from "@layerlab/data-node";
import { RunFolderError } from "@layerlab/runner";

/** An error the user can fix: one line saying what is wrong, one saying what to do. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Exit code of a command-line usage error (bad flag, missing argument). */
export const USAGE_EXIT_CODE = 2;

/** The two lines printed for an error, whatever threw it. */
export function describeError(err: unknown): { message: string; hint: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, hint: err.hint, exitCode: err.exitCode };
  if (err instanceof RunFolderError) return { message: err.message, hint: err.hint, exitCode: 1 };
  if (err instanceof DatasetImportError) {
    return { message: err.message, hint: "fix the dataset, or see 'layerlab datasets import --help'", exitCode: 1 };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    message: message.split("\n")[0] ?? message,
    hint: "if this looks like a LayerLab bug, rerun with LAYERLAB_DEBUG=1 and report the stack trace",
    exitCode: 1,
  };
}

/** Prints an error as `error: …` and `hint: …` on stderr. */
export function printError(err: unknown): number {
  const { message, hint, exitCode } = describeError(err);
  process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  if (process.env.LAYERLAB_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCode;
}
