import { existsSync, readdirSync } from "node:fs";
import { type Dataset, generateShapes, SHAPE_KINDS, type ShapeKind } from "@layerlab/data-core";
import { writeDatasetFolder } from "@layerlab/data-node";
import { Command, Option } from "commander";
import { CliError } from "../errors";
import { fractionIn, intIn } from "../options";

/** `layerlab shapes --out DIR …`: seed 003's synthetic shapes generator, written as an image folder. */
export function shapesCommand(): Command {
  return new Command("shapes")
    .description(
      "Generate the synthetic shapes dataset as PNG folders (train/<class>/, test/<class>/), a valid dataset path for 'layerlab train'.",
    )
    .requiredOption("--out <dir>", "the folder to create")
    .addOption(new Option("--size <n>", "Side of the square images in pixels.").argParser(intIn(8, 256)).default(28))
    .addOption(
      new Option("--n <count>", "Images per class, train and test together.").argParser(intIn(2, 100000)).default(1000),
    )
    .addOption(
      new Option("--train-split <f>", "Share of each class that goes to train/ (the rest to test/).")
        .argParser(fractionIn(0, 1))
        .default(0.8),
    )
    .addOption(new Option("--seed <n>", "Same seed, same images.").argParser(intIn(0, 2 ** 31 - 1)).default(0))
    .addOption(
      new Option("--shapes <list>", `Classes to draw, from ${SHAPE_KINDS.join(", ")}.`).default(
        "circle,square,triangle",
      ),
    )
    .option("--color", "Random colours on random backgrounds (RGB) instead of white on black.")
    .option("--force", "Replace the folder if it exists and is not empty.")
    .action(
      async (opts: {
        out: string;
        size: number;
        n: number;
        trainSplit: number;
        seed: number;
        shapes: string;
        color?: boolean;
        force?: boolean;
      }) => {
        if (existsSync(opts.out) && readdirSync(opts.out).length > 0 && !opts.force) {
          throw new CliError(
            `${opts.out} exists and is not empty`,
            "choose another --out, or add --force to replace it",
          );
        }
        const shapes = opts.shapes.split(",").map((s) => s.trim()) as ShapeKind[];
        let dataset: Dataset;
        try {
          dataset = generateShapes({
            size: opts.size,
            countPerClass: opts.n,
            testFraction: 1 - opts.trainSplit,
            seed: opts.seed,
            shapes,
            color: Boolean(opts.color),
          });
        } catch (err) {
          throw new CliError((err as Error).message, "see 'layerlab shapes --help'");
        }
        await writeDatasetFolder(dataset, opts.out);
        process.stdout.write(
          `wrote ${dataset.train.count} train and ${dataset.test.count} test images of ${dataset.classes.join(", ")} to ${opts.out}\n`,
        );
      },
    );
}
