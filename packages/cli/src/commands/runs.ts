import { effectiveStatus, listRuns, RUN_FILES, type RunMetrics, readRunInfo, readRunJson } from "@layerlab/runner";
import { Command } from "commander";
import { CliError } from "../errors";
import { formatTable } from "./datasets";

const percent = (x: number | null | undefined) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(2)}%`);
const fixed = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(4));

/** `layerlab runs list [DIR] | show DIR`. */
export function runsCommand(): Command {
  const command = new Command("runs").description("List and inspect run folders.");
  command
    .command("list")
    .description("List the runs in a folder, newest first.")
    .argument("[dir]", "the folder holding run folders", "runs")
    .option("--json", "Print one JSON object per run.")
    .action(async (dir: string, opts: { json?: boolean }) => {
      const runs = await listRuns(dir);
      if (opts.json) {
        for (const r of runs)
          process.stdout.write(`${JSON.stringify({ dir: r.dir, ...r.info, status: effectiveStatus(r.info) })}\n`);
        return;
      }
      if (runs.length === 0) {
        throw new CliError(
          `no runs in ${dir}`,
          "train one with 'layerlab train mlp mnist', or give the folder that holds your runs",
        );
      }
      const rows = runs.map(({ dir: runDir, info }) => [
        info.name,
        effectiveStatus(info),
        `${info.epochsDone}/${info.epochs}`,
        info.dataset.name,
        percent(info.testAccuracy),
        info.timings.createdAt.slice(0, 19).replace("T", " "),
        runDir,
      ]);
      process.stdout.write(formatTable(["name", "status", "epochs", "dataset", "test acc", "created", "folder"], rows));
    });
  command
    .command("show")
    .description("Show a run: status, dataset, config, environment and per-epoch metrics.")
    .argument("<dir>", "the run folder")
    .option("--json", "Print run.json and metrics.json as one JSON object.")
    .action(async (dir: string, opts: { json?: boolean }) => {
      const info = await readRunInfo(dir);
      const metrics = await readRunJson<RunMetrics>(dir, RUN_FILES.metrics);
      const config = await readRunJson<Record<string, unknown>>(dir, RUN_FILES.config);
      const status = effectiveStatus(info);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...info, status, metrics, config }, null, 2)}\n`);
        return;
      }
      const env = info.environment;
      const lines = [
        `run ${info.name} (${info.id})`,
        `status    ${status}${info.message ? ` — ${info.message}` : ""}`,
        `dataset   ${info.dataset.name} ${info.dataset.shape.join("×")}, ${info.dataset.classes.length} classes${info.limit ? `, first ${info.limit} samples` : ""}`,
        `epochs    ${info.epochsDone}/${info.epochs} done; best ${info.bestMetric === null ? "–" : `${fixed(info.bestMetric)} at epoch ${info.bestEpoch}`}`,
        `test      loss ${fixed(info.testLoss)}, accuracy ${percent(info.testAccuracy)}`,
        `time      ${info.timings.trainSeconds.toFixed(1)} s training, ${info.timings.wallSeconds.toFixed(1)} s wall`,
        `env       ${env.backend ?? "?"} backend, Node ${env.node}, jax-js ${env.jaxJs}, LayerLab ${env.layerlab}, ${env.cpu} ×${env.cpuCount}`,
        `config    ${JSON.stringify(config)}`,
        `fingerprint ${info.fingerprint}`,
        "",
      ];
      const rows = metrics.epoch.map((e, i) => [
        String(e),
        fixed(metrics.train_loss[i]),
        percent(metrics.train_acc[i]),
        fixed(metrics.val_loss[i]),
        percent(metrics.val_acc[i]),
        String(metrics.lr[i]),
        (metrics.epoch_seconds[i] ?? 0).toFixed(1),
      ]);
      process.stdout.write(
        lines.join("\n") +
          formatTable(["epoch", "train loss", "train acc", "val loss", "val acc", "lr", "seconds"], rows),
      );
    });
  return command;
}
