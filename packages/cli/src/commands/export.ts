import { exportRunFolder } from "@layerlab/export/node";
import { readRunInfo } from "@layerlab/runner";
import { Command, Option } from "commander";
import { CliError } from "../errors";

const FORMATS = ["pytorch", "onnx", "safetensors", "all"] as const;

/** `layerlab export DIR --format pytorch|onnx|safetensors|all`: writes a run's model into DIR/export/. */
export function exportCommand(): Command {
  return new Command("export")
    .description("Export a run's trained model (PyTorch model.py + model.pt, ONNX, safetensors) into <dir>/export/.")
    .argument("<dir>", "the run folder")
    .addOption(new Option("--format <format>", "what to write").choices(FORMATS).default("all"))
    .addOption(
      new Option("--checkpoint <which>", "best (by validation, as predict uses) or last")
        .choices(["best", "last"])
        .default("best"),
    )
    .action(async (dir: string, opts: { format: (typeof FORMATS)[number]; checkpoint: "best" | "last" }) => {
      const info = await readRunInfo(dir);
      if (info.epochsDone === 0) {
        throw new CliError(`the run in ${dir} has no trained weights yet`, "export after its first epoch");
      }
      let files: string[];
      try {
        // The normalization the run trained with, so that exported models take raw [0, 1] pixels.
        files = await exportRunFolder(dir, opts.format, {
          normalization: info.normalization,
          checkpoint: opts.checkpoint,
        });
      } catch (err) {
        throw new CliError((err as Error).message, "check that the run folder is complete ('layerlab runs show')");
      }
      for (const file of files) process.stdout.write(`wrote ${file}\n`);
    });
}
