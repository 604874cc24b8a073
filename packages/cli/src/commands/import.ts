import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { ErrorBody, RunView } from "@layerlab/api";
import { Command } from "commander";
import { CliError } from "../errors";

/** The files of an export bundle an import sends; README.md, manifest.json and model.onnx stay behind. */
const BUNDLE_FILE = /^(.*\.json|.*\.safetensors|.*\.pt|.*\.pth|model\.py)$/i;
const LEFT_BEHIND = new Set(["manifest.json"]);

/** The files to send: each file argument as it is, and a folder's bundle files. */
async function filesOf(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) throw new CliError(`${path} does not exist`, "give an export folder or its files");
    if (!info.isDirectory()) {
      out.push(path);
      continue;
    }
    const names = (await readdir(path)).filter((n) => BUNDLE_FILE.test(n) && !LEFT_BEHIND.has(n.toLowerCase()));
    if (names.length === 0) {
      throw new CliError(`${path} holds no model files`, "it needs spec.json and weights.safetensors or model.pt");
    }
    out.push(...names.sort().map((n) => join(path, n)));
  }
  return out;
}

/** `layerlab import BUNDLE... --dataset mnist [--server URL] [--name NAME]`: a model trained elsewhere as a finished run. */
export function importCommand(): Command {
  return new Command("import")
    .description(
      "Import a model trained elsewhere (an export folder, or spec.json with weights.safetensors or a PyTorch state_dict .pt, and normalization.json or model.py) into a LayerLab server's registry as a finished run.",
    )
    .argument("<paths...>", "an export folder, or the model's files")
    .requiredOption(
      "--dataset <name>",
      "the dataset the model was trained on (a built-in name or an imported dataset's id)",
    )
    .option("--name <name>", "the run's name (default: the spec's name)")
    .option("--server <url>", "the LayerLab server", process.env.LAYERLAB_SERVER ?? "http://127.0.0.1:3000")
    .action(async (paths: string[], opts: { dataset: string; name?: string; server: string }) => {
      const files = await filesOf(paths);
      const form = new FormData();
      form.append("dataset", opts.dataset);
      if (opts.name) form.append("name", opts.name);
      for (const file of files) form.append("files", new Blob([await readFile(file)]), basename(file));
      const token = process.env.LAYERLAB_TOKEN?.trim();
      const url = `${opts.server.replace(/\/+$/, "")}/api/runs/import`;
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          body: form,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
      } catch (err) {
        throw new CliError(
          `the server at ${opts.server} cannot be reached (${(err as Error).message})`,
          "start it with 'layerlab serve', or pass --server URL",
        );
      }
      const body: unknown = await res.json().catch(() => null);
      if (!res.ok) {
        const refusal = ErrorBody.safeParse(body);
        throw new CliError(
          `the server refused the import: ${refusal.success ? refusal.data.error : `${res.status} ${res.statusText}`}`,
          res.status === 401 ? "set LAYERLAB_TOKEN to the server's access token" : "fix the files as the message says",
        );
      }
      const run = RunView.safeParse(body);
      if (!run.success) {
        throw new CliError(
          `the server at ${opts.server} answered the import with something that is not a run (${run.error.issues[0]?.message})`,
          "check that --server points at a LayerLab server of this version",
        );
      }
      process.stdout.write(
        `imported ${files.map((f) => basename(f)).join(", ")} as run ${run.data.id} (${run.data.name})\n`,
      );
    });
}
