import { join } from "node:path";
import { writeFileAtomic } from "@layerlab/data-node";
import { curvesPng, RUN_FILES, type RunMetrics, readRunInfo, readRunJson } from "@layerlab/runner";
import { Command } from "commander";
import { CliError } from "../errors";

/** `layerlab curves DIR --out curves.png`. */
export function curvesCommand(): Command {
  return new Command("curves")
    .description("Draw a run's loss and accuracy curves (train and validation) as a PNG, without a browser.")
    .argument("<dir>", "the run folder")
    .option("--out <file>", "the PNG to write (default <dir>/curves.png)")
    .action(async (dir: string, opts: { out?: string }) => {
      const info = await readRunInfo(dir);
      const metrics = await readRunJson<RunMetrics>(dir, RUN_FILES.metrics);
      if (metrics.epoch.length === 0) {
        throw new CliError(`the run in ${dir} has no finished epoch yet`, "draw the curves after the first epoch");
      }
      const out = opts.out ?? join(dir, "curves.png");
      await writeFileAtomic(out, [await curvesPng(metrics, `${info.name} — ${info.dataset.name}`)]);
      process.stdout.write(`wrote ${out}\n`);
    });
}
