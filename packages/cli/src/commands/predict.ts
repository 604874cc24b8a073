import { readFile } from "node:fs/promises";
import { type ImagePrediction, loadRunModel, predictImages } from "@layerlab/runner";
import { Command, Option } from "commander";
import { CliError } from "../errors";
import { intIn } from "../options";

/** `layerlab predict --run DIR IMAGE...`. */
export function predictCommand(): Command {
  return new Command("predict")
    .description(
      "Classify images with a trained run: the class and the probabilities of each image (any image format).",
    )
    .argument("<images...>", "image files (PNG, JPEG, WebP, GIF, BMP, TIFF)")
    .requiredOption("--run <dir>", "the run folder to predict with")
    .addOption(new Option("--checkpoint <which>", "Which weights to use.").choices(["best", "last"]).default("best"))
    .addOption(new Option("--top <k>", "Probabilities to list per image (default all).").argParser(intIn(1, 100000)))
    .option("--json", "Print one JSON object per image instead of a table.")
    .action(
      async (paths: string[], opts: { run: string; checkpoint: "best" | "last"; top?: number; json?: boolean }) => {
        const images = [];
        for (const path of paths) {
          const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
            throw new CliError(`cannot read image ${path} (${err.code ?? err.message})`, "check the path");
          });
          images.push({ source: path, bytes: new Uint8Array(bytes) });
        }
        const run = await loadRunModel(opts.run, opts.checkpoint);
        try {
          const predictions = await predictImages(run, images);
          for (const p of predictions) {
            const ranked = [...p.probabilities].sort((a, b) => b.probability - a.probability).slice(0, opts.top);
            if (opts.json) process.stdout.write(`${JSON.stringify({ ...p, probabilities: ranked })}\n`);
            else process.stdout.write(table(p, ranked));
          }
        } finally {
          run.dispose();
        }
      },
    );
}

function table(p: ImagePrediction, ranked: ImagePrediction["probabilities"]): string {
  const width = Math.max(...ranked.map((r) => r.className.length));
  const rows = ranked.map(
    (r) =>
      `  ${r.className.padEnd(width)}  ${(r.probability * 100).toFixed(1).padStart(5)}%  ${"█".repeat(Math.round(r.probability * 20))}`,
  );
  const top = p.probabilities[p.classIndex]!;
  return `${p.source}: ${p.className} (${(top.probability * 100).toFixed(1)}%)\n${rows.join("\n")}\n`;
}
