import { Command, CommanderError } from "commander";
import { curvesCommand } from "./commands/curves";
import { datasetsCommand } from "./commands/datasets";
import { exportCommand } from "./commands/export";
import { importCommand } from "./commands/import";
import { predictCommand } from "./commands/predict";
import { reportCommand } from "./commands/report";
import { runsCommand } from "./commands/runs";
import { serveCommand } from "./commands/serve";
import { shapesCommand } from "./commands/shapes";
import { sweepCommand } from "./commands/sweep";
import { resumeCommand, trainCommand } from "./commands/train";
import { workerCommand } from "./commands/worker";
import { CliError, printError, USAGE_EXIT_CODE } from "./errors";

/*
 * Commands are a list, so later issues add `serve` and `export` with one line
 * each here.
 */
const COMMANDS = [
  trainCommand,
  resumeCommand,
  predictCommand,
  datasetsCommand,
  shapesCommand,
  runsCommand,
  curvesCommand,
  serveCommand,
  exportCommand,
  importCommand,
  reportCommand,
  workerCommand,
  sweepCommand,
];

/** Applies the CLI-wide settings to a command and all its subcommands. */
function configure(command: Command): void {
  command.exitOverride();
  command.configureOutput({ outputError: () => {} });
  command.showSuggestionAfterError(true);
  for (const sub of command.commands) configure(sub);
}

/** The `layerlab` program with every command. */
export function buildProgram(): Command {
  const program = new Command("layerlab")
    .description("LayerLab: build, train, test and compare image classifiers from the command line.")
    .version(process.env.npm_package_version ?? "0.1.0", "-V, --version");
  for (const make of COMMANDS) program.addCommand(make());
  configure(program);
  return program;
}

/** The command path argv names (`layerlab datasets import`), for the hint of a usage error. */
function commandPath(program: Command, args: string[]): string {
  let command = program;
  const names = [program.name()];
  for (const arg of args) {
    const sub = command.commands.find((c) => c.name() === arg);
    if (!sub) break;
    command = sub;
    names.push(arg);
  }
  return names.join(" ");
}

/** Runs the CLI on `args` (without node and the script) and returns the exit code. */
export async function runCli(args: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with a CommanderError too, with exit code 0.
      if (err.exitCode === 0 || err.code === "commander.helpDisplayed" || err.code === "commander.version")
        return err.exitCode;
      // commander puts "(Did you mean …?)" on a second line; it belongs to the hint.
      const [first = "", ...rest] = err.message.replace(/^error: /, "").split("\n");
      const suggestion = rest
        .join(" ")
        .replace(/^\((.*)\)$/, "$1")
        .trim();
      const help = `run '${commandPath(program, args)} --help' to see the arguments and options`;
      const message = first;
      const hint = suggestion ? `${suggestion.replace(/^Did/, "did")} ${help}` : help;
      return printError(new CliError(message, hint, USAGE_EXIT_CODE));
    }
    return printError(err);
  }
}
