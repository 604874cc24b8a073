import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Dataset } from "@layerlab/data-core";
import { BUILTIN_DATASETS, importDataset, previewGridPng, saveDataset, writeFileAtomic } from "@layerlab/data-node";
import { datasetRefFromArg, loadDatasetRef } from "@layerlab/runner";
import { Command, Option } from "commander";
import { CliError } from "../errors";
import { dataDirOf, dataDirOption, fractionIn, imageOptions, importOptionsOf, intIn } from "../options";

/** `layerlab datasets list | info | import | preview`. */
export function datasetsCommand(): Command {
  const command = new Command("datasets").description("List, inspect, import and preview datasets.");
  command
    .command("list")
    .description("List the built-in datasets and the ones imported into the data dir.")
    .addOption(dataDirOption())
    .action(async (opts: { dataDir?: string }) => {
      const rows = BUILTIN_DATASETS.map((d) => [
        d.name,
        d.shape.join("×"),
        String(d.classes.length),
        `${d.trainCount}/${d.testCount}`,
        d.origin,
      ]);
      const savedDir = join(dataDirOf(opts), "datasets");
      const saved = existsSync(savedDir) ? (await readdir(savedDir)).filter((f) => f.endsWith(".lldata")) : [];
      for (const file of saved)
        rows.push([file.replace(/\.lldata$/, ""), "", "", "", `imported (${join(savedDir, file)})`]);
      process.stdout.write(formatTable(["name", "shape", "classes", "train/test", "origin"], rows));
    });
  command
    .command("info")
    .description("Shape, classes and per-class counts of a dataset.")
    .argument("<name>", "a built-in or imported dataset, or a ZIP/folder path")
    .addOption(dataDirOption())
    .action(async (name: string, opts: { dataDir?: string }) => {
      const dataDir = dataDirOf(opts);
      const { dataset } = await loadDatasetRef(datasetRefFromArg(name, dataDir), dataDir);
      process.stdout.write(describeDataset(dataset));
    });
  const importCommand = command
    .command("import")
    .description("Import a ZIP or folder (train/test + JSON manifests, or one folder per class) into the data dir.")
    .argument("<path>", "the ZIP file or folder")
    .requiredOption("--name <name>", "the name to train it under (letters, digits, . _ -)")
    .addOption(
      new Option(
        "--test-fraction <f>",
        "Share of each class held out for testing when there is no test split.",
      ).argParser(fractionIn(0, 1)),
    )
    .addOption(dataDirOption())
    .action(
      async (
        path: string,
        opts: {
          name: string;
          dataDir?: string;
          testFraction?: number;
          imgSize?: number;
          grayscale?: string;
          fit?: string;
        },
      ) => {
        if (!existsSync(path)) throw new CliError(`${path} does not exist`, "give a ZIP file or a dataset folder");
        const { dataset, report } = await importDataset(path, {
          name: opts.name,
          ...importOptionsOf(opts),
          ...(opts.testFraction !== undefined && { testFraction: opts.testFraction }),
        });
        const file = await saveDataset(dataDirOf(opts), opts.name, dataset);
        process.stdout.write(describeDataset(dataset));
        process.stdout.write(`decoded to ${report.decoded.summary}\n`);
        for (const w of report.warnings) process.stdout.write(`warning: ${w}\n`);
        if (report.skipped.length > 0)
          process.stdout.write(
            `skipped ${report.skipped.length} files (e.g. ${report.skipped[0]!.file}: ${report.skipped[0]!.reason})\n`,
          );
        process.stdout.write(`saved to ${file}; train on it with 'layerlab train mlp ${opts.name}'\n`);
      },
    );
  for (const option of imageOptions()) importCommand.addOption(option);
  command
    .command("preview")
    .description("Write a PNG grid of sample images, one row per class.")
    .argument("<name>", "a built-in or imported dataset, or a ZIP/folder path")
    .requiredOption("--out <file>", "the PNG file to write")
    .addOption(new Option("--per-class <n>", "Images per class.").argParser(intIn(1, 100)).default(8))
    .addOption(new Option("--split <split>", "Which split to sample.").choices(["train", "test"]).default("train"))
    .addOption(dataDirOption())
    .action(
      async (name: string, opts: { out: string; perClass: number; split: "train" | "test"; dataDir?: string }) => {
        const dataDir = dataDirOf(opts);
        const { dataset } = await loadDatasetRef(datasetRefFromArg(name, dataDir), dataDir);
        const png = await previewGridPng(dataset, { perClass: opts.perClass, split: opts.split });
        await writeFileAtomic(opts.out, [png]);
        process.stdout.write(`wrote ${opts.out}\n`);
      },
    );
  return command;
}

function describeDataset(d: Dataset): string {
  const counts = (labels: Uint8Array) => {
    const c = new Array<number>(d.classes.length).fill(0);
    for (const l of labels) c[l]!++;
    return c;
  };
  const train = counts(d.train.labels);
  const test = counts(d.test.labels);
  const rows = d.classes.map((name, i) => [String(i), name, String(train[i]), String(test[i])]);
  return (
    `${d.name}: ${d.shape.join("×")} (C×H×W), ${d.classes.length} classes, ${d.train.count} train / ${d.test.count} test images\n` +
    formatTable(["#", "class", "train", "test"], rows)
  );
}

/** A plain text table with padded columns. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
