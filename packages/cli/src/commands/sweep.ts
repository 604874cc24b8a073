import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import {
  datasetRefFromArg,
  effectiveStatus,
  loadDatasetRef,
  type RunInfo,
  type RunMetrics,
  type RunSummary,
  resumeRun,
  startRun,
} from "@layerlab/runner";
import {
  expandSweep,
  isKFold,
  isTemplateId,
  kFoldPlan,
  kFoldResult,
  SWEEP_FORMAT,
  type SweepCell,
  SweepFile,
  type SweepOutcome,
  type SweepPlan,
  type SweepValue,
  summarizeSweep,
  sweepControlStatement,
  sweepRunFolder,
  sweepScore,
  TEMPLATE_IDS,
  type TrainingConfigInput,
} from "@layerlab/spec";
import { Command, Option } from "commander";
import { configOptions, seedAliasOptions } from "../config-flags";
import { CliError, USAGE_EXIT_CODE } from "../errors";
import { dataDirOf, dataDirOption, imageOptions, importOptionsOf, intIn } from "../options";
import { eventPrinter, modelSpec, trainingConfig, withInterrupt } from "./train";

/** `--vary learningRate=1e-4,1e-3`: one axis; numbers and true/false are read as such, the rest as text. */
export function parseVary(text: string, previous: SweepPlan["axes"] = []): SweepPlan["axes"] {
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1) {
    throw new CliError(
      `--vary '${text}' is not SETTING=VALUE,VALUE`,
      "e.g. --vary learningRate=0.0001,0.001,0.01 --vary optimizer=sgd,adam",
      USAGE_EXIT_CODE,
    );
  }
  const values: SweepValue[] = text
    .slice(eq + 1)
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "")
    .map((v) => (v === "true" ? true : v === "false" ? false : Number.isFinite(Number(v)) ? Number(v) : v));
  return [...previous, { field: text.slice(0, eq).trim(), values }];
}

/** `layerlab sweep MODEL DATASET --vary …`: a controlled experiment, one run after another, in one folder. */
export function sweepCommand(): Command {
  const command = new Command("sweep")
    .description(
      "Train one model under each combination of one or two settings (a controlled experiment: every run starts from the same weights and sees the same data order), or k folds of a cross-validation, into one sweep folder.",
    )
    .argument("<model>", `a template (${TEMPLATE_IDS.join(", ")}) or a model spec JSON file`)
    .argument("<dataset>", "a built-in dataset, a saved dataset, or a ZIP/folder path")
    .addOption(
      new Option("--vary <setting=values>", "A setting and its comma-separated values; give it once or twice.")
        .argParser((text: string, previous: SweepPlan["axes"] | undefined) => parseVary(text, previous))
        .default([]),
    )
    .addOption(
      new Option("--folds <k>", "k-fold cross-validation instead of --vary (2 to 10).").argParser(intIn(2, 10)),
    )
    .option("--save-dir <dir>", "Sweep folder (default sweeps/<model>-<dataset>-<time>); run again to finish one.")
    .option("--name <name>", "A name for the sweep.")
    .addOption(new Option("--config <file>", "A JSON file of training-config fields the runs share."))
    .addOption(new Option("--limit <n>", "Train on the first N training samples only.").argParser(intIn(1, 1e9)))
    .addOption(new Option("--log-every <n>", "Report progress every N steps.").argParser(intIn(1, 1e6)).default(10))
    .option("--json", "Print every event as a JSON line on stdout.")
    .addOption(dataDirOption());
  for (const option of [...imageOptions(), ...seedAliasOptions(), ...configOptions()]) command.addOption(option);
  command.addHelpText(
    "after",
    "\nExamples:\n  layerlab sweep mlp mnist --epochs 2 --vary learningRate=0.0001,0.001,0.01 --vary optimizer=sgd,adam\n  layerlab sweep cnn fashion-mnist --epochs 3 --folds 5",
  );
  return command.action(async (model: string, datasetArg: string, opts: Record<string, unknown>) => {
    const axes = opts.vary as SweepPlan["axes"];
    const folds = opts.folds as number | undefined;
    if ((axes.length === 0) === (folds === undefined)) {
      throw new CliError(
        folds === undefined ? "say what to sweep" : "--folds and --vary do not go together",
        "give --vary SETTING=VALUES once or twice, or --folds K for a cross-validation",
        USAGE_EXIT_CODE,
      );
    }
    // The plan's own mistakes are said before the dataset is loaded, which can take a while.
    const early = folds === undefined ? expandSweep(trainingConfig({}, opts), { axes }) : { ok: true as const };
    if (!early.ok) {
      throw new CliError(
        `the sweep cannot run: ${early.problems.join("; ")}`,
        "see 'layerlab sweep --help'",
        USAGE_EXIT_CODE,
      );
    }
    const dataDir = dataDirOf(opts as { dataDir?: string });
    const json = Boolean(opts.json);
    const say = (text: string) => json || process.stderr.write(`${text}\n`);
    const ref = datasetRefFromArg(datasetArg, dataDir, importOptionsOf(opts));
    const loaded = await loadDatasetRef(ref, dataDir);
    const { spec, suggested } = modelSpec(model, loaded.dataset, undefined);
    const shared = trainingConfig(suggested, opts);
    const { base, plan } =
      folds === undefined ? { base: shared, plan: { axes } as SweepPlan } : kFoldPlan(shared, folds);
    const grid = expandSweep(base, plan);
    if (!grid.ok) {
      throw new CliError(
        `the sweep cannot run: ${grid.problems.join("; ")}`,
        "see 'layerlab sweep --help'",
        USAGE_EXIT_CODE,
      );
    }
    const dir = (opts.saveDir as string | undefined) ?? defaultSweepDir(model, loaded.dataset.name);
    const seed = grid.cells[0]!.config.seed;
    const file: SweepFile = {
      format: SWEEP_FORMAT,
      name: (opts.name as string | undefined) ?? plan.name ?? `sweep of ${plan.axes.map((a) => a.field).join(" × ")}`,
      plan,
      model,
      dataset: loaded.dataset.name,
      seed,
      control: sweepControlStatement(plan, seed),
      runs: grid.cells.map((cell) => ({ dir: sweepRunFolder(cell, plan), label: cell.label, values: cell.values })),
      createdAt: new Date().toISOString(),
    };
    await mkdir(dir, { recursive: true });
    const existing = readSweepFile(dir);
    if (existing && JSON.stringify(existing.plan) !== JSON.stringify(plan)) {
      throw new CliError(
        `${dir} holds another sweep (${existing.plan.axes.map((a) => a.field).join(" × ")})`,
        "pick another --save-dir, or repeat that sweep's own settings to finish it",
        USAGE_EXIT_CODE,
      );
    }
    await writeFile(join(dir, "sweep.json"), `${JSON.stringify(existing ?? file, null, 2)}\n`);
    say(`${file.control}\n${grid.cells.length} runs into ${dir}`);

    const outcomes: SweepOutcome[] = [];
    for (const cell of grid.cells) {
      const runDir = join(dir, sweepRunFolder(cell, plan));
      const status = runStatus(runDir);
      if (status !== "succeeded" && status !== "diverged") {
        const again = status !== null && status !== "failed";
        say(`run ${cell.index + 1} of ${grid.cells.length}: ${cell.label}${again ? " (resumed)" : ""}`);
        const summary = again
          ? await withInterrupt((controls) =>
              resumeRun(runDir, { dataDir, logEvery: opts.logEvery as number, ...controls(json) }),
            )
          : await trainCell(cell, runDir, spec, loaded, ref, opts, json);
        if (summary.status === "aborted") {
          throw new CliError(
            `the sweep stopped in run ${cell.index + 1} (${cell.label})`,
            `run the same command with --save-dir ${dir} to finish it`,
            130,
          );
        }
      } else {
        say(`run ${cell.index + 1} of ${grid.cells.length}: ${cell.label} (already done)`);
      }
      const metrics = finishedMetrics(runDir);
      outcomes.push({ cell, score: sweepScore(metrics), diverged: runStatus(runDir) === "diverged" });
    }
    const summary = summarizeSweep(plan, outcomes);
    const kfold = isKFold(plan)
      ? kFoldResult(outcomes.map((o) => finishedMetrics(join(dir, sweepRunFolder(o.cell, plan)))))
      : null;
    const result = {
      runs: outcomes.map((o) => ({
        label: o.cell.label,
        dir: sweepRunFolder(o.cell, plan),
        score: o.score,
        diverged: o.diverged,
      })),
      findings: summary.findings,
      ...(kfold && { kfold }),
    };
    await writeFile(join(dir, "summary.json"), `${JSON.stringify(result, null, 2)}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ type: "sweep", dir, ...result })}\n`);
    else
      process.stderr.write(
        `${sweepTable(outcomes)}\n${kfold ? `${kfold.text}\n` : ""}${summary.findings.join("\n")}\nsweep saved to ${dir}\n`,
      );
  });
}

async function trainCell(
  cell: SweepCell,
  runDir: string,
  spec: unknown,
  loaded: Awaited<ReturnType<typeof loadDatasetRef>>,
  ref: ReturnType<typeof datasetRefFromArg>,
  opts: Record<string, unknown>,
  json: boolean,
): Promise<RunSummary> {
  const limit = opts.limit as number | undefined;
  return withInterrupt((controls) =>
    startRun({
      spec,
      config: cell.config as TrainingConfigInput,
      dataset: loaded.dataset,
      datasetRef: ref,
      preprocessing: loaded.preprocessing,
      dir: runDir,
      name: cell.label,
      ...(limit !== undefined && { limit }),
      logEvery: opts.logEvery as number,
      ...controls(json),
    }),
  );
}

function readSweepFile(dir: string): SweepFile | null {
  const path = join(dir, "sweep.json");
  if (!existsSync(path)) return null;
  const parsed = SweepFile.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success)
    throw new CliError(`${path} is not a LayerLab sweep file`, "pick another --save-dir", USAGE_EXIT_CODE);
  return parsed.data;
}

/** A run folder's metrics once it has ended (succeeded or diverged), else null. */
function finishedMetrics(runDir: string): RunMetrics | null {
  const status = runStatus(runDir);
  if (status !== "succeeded" && status !== "diverged") return null;
  const path = join(runDir, "metrics.json");
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as RunMetrics) : null;
}

function runStatus(runDir: string): string | null {
  const path = join(runDir, "run.json");
  if (!existsSync(path)) return null;
  return effectiveStatus(JSON.parse(readFileSync(path, "utf8")) as RunInfo);
}

function sweepTable(outcomes: readonly SweepOutcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.cell.label.length), 3);
  const rows = outcomes.map((o) => {
    const score = o.diverged ? "diverged" : o.score === null ? "—" : `${(o.score * 100).toFixed(1)}%`;
    return `${o.cell.label.padEnd(width)}  ${score}`;
  });
  return [`${"run".padEnd(width)}  score`, ...rows].join("\n");
}

function defaultSweepDir(model: string, datasetName: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const modelName = isTemplateId(model) ? model : basename(model, extname(model));
  return join("sweeps", `${modelName}-${datasetName}-${stamp}`);
}
