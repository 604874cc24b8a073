import { join } from "node:path";
import { EXPORT_SUBDIR, exportRunFolderWithManifest, type RunFolderExport } from "@layerlab/export/node";
import { readRunInfo } from "@layerlab/runner";
import { Command, Option } from "commander";
import { CliError } from "../errors";

const FORMATS = ["pytorch", "onnx", "safetensors", "all"] as const;

/**
 * `layerlab export DIR --format pytorch|onnx|safetensors|all`: writes a run's
 * model into DIR/export/. The folder holds one checkpoint: exporting another
 * (`--checkpoint last` after best, or after more training) clears it first.
 */
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
      let result: RunFolderExport;
      try {
        // The normalization the run trained with, recorded in every format: model.py's preprocess takes uint8 0..255 (or floats in [0, 1]) pixels and normalises them.
        result = await exportRunFolderWithManifest(dir, opts.format, {
          normalization: info.normalization,
          checkpoint: opts.checkpoint,
        });
      } catch (err) {
        throw new CliError((err as Error).message, "check that the run folder is complete ('layerlab runs show')");
      }
      const verb = result.reused ? "kept" : "wrote";
      for (const file of result.paths) process.stdout.write(`${verb} ${file}\n`);
      const { file, epoch, sha256 } = result.manifest.checkpoint;
      process.stdout.write(
        `every file in ${join(dir, EXPORT_SUBDIR)} holds ${file}${epoch === null ? "" : ` (epoch ${epoch})`}, sha256 ${sha256}\n`,
      );
    });
}
