import { explainWithLlm, runFindingsOf, writeReport } from "@layerlab/report";
import { Command } from "commander";

/** `layerlab report DIR [--out FILE]`. */
export function reportCommand(): Command {
  return new Command("report")
    .description(
      "Write one self-contained HTML report of a run: summary, model, hyperparameters, curves, confusion matrix, example predictions, the doctor's findings and resources.",
    )
    .argument("<dir>", "the run folder")
    .option("--out <file>", "where to write the report (default <dir>/report.html)")
    .option("--data-dir <dir>", "where datasets are cached (default $LAYERLAB_DATA_DIR or ./data)")
    .action(async (dir: string, opts: { out?: string; dataDir?: string }) => {
      // The LLM explanation runs only when LAYERLAB_LLM_URL names an endpoint.
      const explanation = process.env.LAYERLAB_LLM_URL ? await explainWithLlm(await runFindingsOf(dir)) : null;
      const path = await writeReport(dir, opts.out, {
        ...(opts.dataDir && { dataDir: opts.dataDir }),
        explanation,
      });
      process.stdout.write(`${path}\n`);
    });
}
