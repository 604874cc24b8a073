import { existsSync, readFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { Dataset } from "@layerlab/data-core";
import {
  datasetRefFromArg,
  loadDatasetRef,
  type RunControls,
  type RunSummary,
  resumeRun,
  startRun,
} from "@layerlab/runner";
import {
  buildTemplate,
  isTemplateId,
  TEMPLATE_IDS,
  TEMPLATES,
  type TemplateId,
  type TrainEvent,
  type TrainingConfigInput,
} from "@layerlab/spec";
import { Command, Option } from "commander";
import { applyConfigFlags, configFlags, configOptions, parseNumberList, seedAliasOptions } from "../config-flags";
import { CliError, USAGE_EXIT_CODE } from "../errors";
import { dataDirOf, dataDirOption, imageOptions, importOptionsOf, intIn } from "../options";
import { ProgressRenderer } from "../progress";

/** Exit code of a run stopped with Ctrl-C (128 + SIGINT, as shells report it). */
const ABORTED_EXIT_CODE = 130;

/** `layerlab train MODEL DATASET [flags]`. */
export function trainCommand(): Command {
  const command = new Command("train")
    .description(
      "Train a model (a template name or a spec file) on a dataset (a built-in name, a saved dataset, or a ZIP/folder path) into a run folder.",
    )
    .argument("<model>", `a template (${TEMPLATE_IDS.join(", ")}) or a model spec JSON file`)
    .argument(
      "<dataset>",
      "a built-in dataset (mnist, fashion-mnist, cifar10, shapes), a saved dataset, or a ZIP/folder path",
    )
    .option("--save-dir <dir>", "Run folder to write (default runs/<model>-<dataset>-<time>).")
    .option("--name <name>", "A name for the run (default the folder's name).")
    .addOption(
      new Option("--hidden <list>", "Hidden layer sizes of simple-nn/conv-nn, e.g. 256,128.").argParser(
        parseNumberList,
      ),
    )
    .addOption(new Option("--limit <n>", "Train on the first N training samples only.").argParser(intIn(1, 1e9)))
    .addOption(new Option("--config <file>", "A JSON file of training-config fields; flags override it."))
    .addOption(new Option("--log-every <n>", "Report progress every N steps.").argParser(intIn(1, 1e6)).default(10))
    .option("--json", "Print every event as a JSON line on stdout instead of progress bars.")
    .addOption(dataDirOption());
  for (const option of [...imageOptions(), ...seedAliasOptions(), ...configOptions()]) command.addOption(option);
  command.addHelpText(
    "after",
    "\nExamples:\n  layerlab train mlp mnist --epochs 3\n  layerlab train simple-nn data/shapes --epochs 15 --batch-size 64 --lr 0.05 --hidden 256,128 --save-dir runs/shapes-mlp\n  layerlab train cnn fashion-mnist --optimizer sgd --optimizer-momentum 0.9 --lr 0.01 --schedule cosine",
  );
  return command.action(async (model: string, datasetArg: string, opts: Record<string, unknown>) => {
    const dataDir = dataDirOf(opts as { dataDir?: string });
    const json = Boolean(opts.json);
    const status = (text: string) => json || process.stderr.write(`${text}\n`);
    const ref = datasetRefFromArg(datasetArg, dataDir, importOptionsOf(opts));
    status(`loading dataset ${datasetArg}…`);
    const loaded = await loadDatasetRef(ref, dataDir);
    const { spec, suggested } = modelSpec(model, loaded.dataset, opts.hidden as number[] | undefined);
    const config = trainingConfig(suggested, opts);
    const dir = (opts.saveDir as string | undefined) ?? defaultRunDir(model, loaded.dataset.name);
    const limit = opts.limit as number | undefined;
    status(`training ${model} on ${loaded.dataset.name} into ${dir}`);
    const summary = await withInterrupt((controls) =>
      startRun({
        spec,
        config,
        dataset: loaded.dataset,
        datasetRef: ref,
        preprocessing: loaded.preprocessing,
        dir,
        ...(opts.name !== undefined && { name: opts.name as string }),
        ...(limit !== undefined && { limit }),
        logEvery: opts.logEvery as number,
        ...controls(json),
      }),
    );
    finish(summary, json);
  });
}

/** `layerlab resume DIR`. */
export function resumeCommand(): Command {
  return new Command("resume")
    .description(
      "Continue an interrupted or aborted run from its last checkpoint (the result equals an uninterrupted run).",
    )
    .argument("<dir>", "the run folder")
    .option("--json", "Print every event as a JSON line on stdout instead of progress bars.")
    .addOption(new Option("--log-every <n>", "Report progress every N steps.").argParser(intIn(1, 1e6)).default(10))
    .addOption(dataDirOption())
    .action(async (dir: string, opts: { json?: boolean; logEvery: number; dataDir?: string }) => {
      const json = Boolean(opts.json);
      if (!json) process.stderr.write(`resuming ${dir}…\n`);
      const summary = await withInterrupt((controls) =>
        resumeRun(dir, { dataDir: dataDirOf(opts), logEvery: opts.logEvery, ...controls(json) }),
      );
      finish(summary, json);
    });
}

/** Runs training with Ctrl-C wired to an abort (a second Ctrl-C quits at once). */
export async function withInterrupt(
  start: (controls: (json: boolean) => RunControls) => Promise<RunSummary>,
): Promise<RunSummary> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(ABORTED_EXIT_CODE);
    process.stderr.write("\nstopping after this batch (Ctrl-C again to quit at once)…\n");
    controller.abort("interrupted (Ctrl-C)");
  };
  process.on("SIGINT", onSigint);
  try {
    return await start((json) => ({ signal: controller.signal, onEvent: eventPrinter(json) }));
  } finally {
    process.off("SIGINT", onSigint);
  }
}

export function eventPrinter(json: boolean): (e: TrainEvent) => void {
  if (json) return (e) => process.stdout.write(`${JSON.stringify(e)}\n`);
  const renderer = new ProgressRenderer(process.stderr);
  return (e) => renderer.onEvent(e);
}

function finish(summary: RunSummary, json: boolean): void {
  if (summary.status === "succeeded") {
    if (!json) process.stderr.write(`run saved to ${summary.dir}\n`);
    return;
  }
  if (summary.status === "aborted") {
    throw new CliError(
      `training stopped after ${summary.epochsDone} of ${summary.epochs} epochs (${summary.message ?? "aborted"})`,
      `continue it with 'layerlab resume ${summary.dir}'`,
      ABORTED_EXIT_CODE,
    );
  }
  throw new CliError(
    `the run ${summary.status}: ${summary.message ?? "no reason given"}`,
    summary.status === "diverged"
      ? "lower the learning rate (--lr) and train again"
      : `see ${join(summary.dir, "events.jsonl")}`,
  );
}

/** The spec to train: a template built for the dataset, or a spec file. */
export function modelSpec(
  model: string,
  dataset: Dataset,
  hidden: number[] | undefined,
): { spec: unknown; suggested: TrainingConfigInput } {
  if (isTemplateId(model)) {
    const template = TEMPLATES[model as TemplateId];
    const takesHidden = "hidden" in (template.options as unknown as { shape: object }).shape;
    if (hidden && !takesHidden) {
      throw new CliError(
        `--hidden does not apply to the ${model} template`,
        "use simple-nn (an MLP) or conv-nn, whose hidden layer sizes you choose",
        USAGE_EXIT_CODE,
      );
    }
    const spec = buildTemplate(
      model as TemplateId,
      { inputShape: [...dataset.shape], classes: [...dataset.classes] },
      hidden ? { hidden } : {},
    );
    return { spec, suggested: template.suggestedConfig ?? {} };
  }
  if (!existsSync(model)) {
    throw new CliError(
      `no template or spec file '${model}'`,
      `use a template (${TEMPLATE_IDS.join(", ")}) or the path of a model spec JSON file`,
      USAGE_EXIT_CODE,
    );
  }
  if (hidden)
    throw new CliError("--hidden applies to templates only", "edit the spec file's layers instead", USAGE_EXIT_CODE);
  return { spec: readJsonFile(model, "model spec"), suggested: {} };
}

export function readJsonFile(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new CliError(`${path} is not a readable JSON ${what} (${(err as Error).message})`, `check the file ${path}`);
  }
}

/** The config: the template's suggestion, then --config, then the flags. */
export function trainingConfig(suggested: TrainingConfigInput, opts: Record<string, unknown>): TrainingConfigInput {
  const fromFile = opts.config ? readJsonFile(opts.config as string, "training config") : {};
  if (typeof fromFile !== "object" || fromFile === null || Array.isArray(fromFile)) {
    throw new CliError(
      `${opts.config} must hold a JSON object of training-config fields`,
      'e.g. {"epochs": 5, "learningRate": 0.001}',
    );
  }
  try {
    return applyConfigFlags({ ...suggested, ...(fromFile as TrainingConfigInput) }, opts, configFlags());
  } catch (err) {
    throw new CliError((err as Error).message, "see 'layerlab train --help'", USAGE_EXIT_CODE);
  }
}

function defaultRunDir(model: string, datasetName: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const modelName = isTemplateId(model) ? model : basename(model, extname(model));
  return join("runs", `${modelName}-${datasetName}-${stamp}`);
}
