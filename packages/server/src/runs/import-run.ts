import { createHash } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "@layerlab/data-node";
import { importNative, importTorch, type NativeModel, normalizationFromModelPy } from "@layerlab/export";
import { analyzeSpec, type ModelSpec, type TrainEvent } from "@layerlab/spec";
import type { Registry } from "../db/registry";
import type { NewRunRow, RunRow } from "../db/schema";
import { HttpError } from "../http-error";
import { normalizationProblem } from "../inference/normalization";
import { resolveDataset } from "./dataset-info";
import { newRunId, runDir } from "./run-files";
import { runTags } from "./run-tags";

/*
 * Importing a model trained elsewhere as a finished run: spec.json and its
 * weights (LayerLab's weights.safetensors, or a PyTorch state_dict `.pt` such
 * as an export's model.pt, read without unpickling), the normalization from
 * normalization.json, model.py's MEAN/STD or the weights' metadata, and a
 * dataset whose images fit the model. The run folder then holds what a
 * finished run's does for predict, draw, inspect and export.
 */

/** One uploaded file: the client's file name and its bytes. */
export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

/** What an import needs. */
export interface ImportRunInput {
  files: UploadedFile[];
  /** A built-in dataset name or an imported dataset's id. */
  dataset: string;
  /** The run's name; default: the spec's name. */
  name?: string;
}

/** What importing needs from the app. */
export interface ImportRunContext {
  registry: Registry;
  dataDir: string;
}

/** The uploaded files by role. */
interface ModelUpload {
  spec: UploadedFile;
  weights: UploadedFile & { format: "safetensors" | "pt" };
  normalization?: { file: string; value: unknown };
}

const EXPECTED =
  "send spec.json with weights.safetensors or a PyTorch state_dict (.pt), and normalization.json or model.py when the weights do not record it";

/** Sorts the uploaded files by their names; a 400 for a file that has no place, a missing one or a duplicate. */
function sortUpload(files: UploadedFile[]): ModelUpload {
  const specs: UploadedFile[] = [];
  const safetensors: UploadedFile[] = [];
  const pts: UploadedFile[] = [];
  const norms: { file: string; value: unknown }[] = [];
  for (const file of files) {
    const name = file.name.toLowerCase();
    if (name === "normalization.json") {
      norms.push({ file: file.name, value: parseJson(file) });
    } else if (name.endsWith(".py")) {
      const value = normalizationFromModelPy(new TextDecoder().decode(file.bytes));
      if (value) norms.push({ file: file.name, value });
    } else if (name === "manifest.json" || name.endsWith(".md")) {
      // The export bundle's manifest and README say nothing the model needs.
    } else if (name.endsWith(".json")) {
      specs.push(file);
    } else if (name.endsWith(".safetensors")) {
      safetensors.push(file);
    } else if (name.endsWith(".pt") || name.endsWith(".pth")) {
      pts.push(file);
    } else if (name.endsWith(".onnx")) {
      throw new HttpError(400, `${file.name}: ONNX files cannot be imported; ${EXPECTED}`);
    } else {
      throw new HttpError(400, `${file.name} is not part of a model bundle; ${EXPECTED}`);
    }
  }
  if (specs.length !== 1) {
    throw new HttpError(
      400,
      `${specs.length === 0 ? "no spec.json was sent" : "more than one spec was sent"}; ${EXPECTED}`,
    );
  }
  // A full export bundle holds both weight files with the same tensors: the safetensors file is LayerLab's own.
  const weights = safetensors.length > 0 ? safetensors : pts;
  if (weights.length !== 1) {
    throw new HttpError(
      400,
      `${weights.length === 0 ? "no weights were sent" : "more than one weights file was sent"}; ${EXPECTED}`,
    );
  }
  if (norms.length > 1)
    throw new HttpError(400, "send the normalization once: normalization.json or model.py, not both");
  return {
    spec: specs[0]!,
    weights: { ...weights[0]!, format: safetensors.length > 0 ? "safetensors" : "pt" },
    normalization: norms[0],
  };
}

function parseJson(file: UploadedFile): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(file.bytes));
  } catch (err) {
    throw new HttpError(400, `${file.name} is not JSON (${(err as Error).message}); send the file the export wrote`);
  }
}

/** The model the files make, checked against each other; a 400 naming the file and the problem. */
function readUpload(upload: ModelUpload): NativeModel {
  const { spec, weights } = upload;
  const explicit = upload.normalization?.value as NativeModel["normalization"];
  try {
    return weights.format === "pt"
      ? importTorch(spec.bytes, weights.bytes, explicit)
      : importNative(spec.bytes, weights.bytes);
  } catch (err) {
    const problem = (err as Error).message.replace(/^(import|export): /, "");
    throw new HttpError(400, `${weights.name} and ${spec.name} do not make a model: ${problem}`);
  }
}

/** A 400 when the model's input or classes do not fit the dataset's images. */
function checkFitsDataset(spec: ModelSpec, dataset: { id: string; shape: number[]; classes: string[] }): void {
  const shape = spec.input.shape.length === 2 ? [1, ...spec.input.shape] : spec.input.shape;
  if (shape.join("×") !== dataset.shape.join("×")) {
    throw new HttpError(
      400,
      `the model takes input ${spec.input.shape.join("×")} but dataset ${dataset.id} has ${dataset.shape.join("×")} images; choose the dataset it was trained on`,
    );
  }
  if (spec.classes.length !== dataset.classes.length) {
    throw new HttpError(
      400,
      `the model has ${spec.classes.length} classes but dataset ${dataset.id} has ${dataset.classes.length}; choose the dataset it was trained on`,
    );
  }
}

/** The run list's summary columns for a model that was not trained here: no optimizer, batch size or epochs. */
function importColumns(spec: ModelSpec) {
  const dense = spec.layers.flatMap((l) => (l.kind === "dense" ? [l.units] : []));
  const dropouts = spec.layers.flatMap((l) => (l.kind === "dropout" ? [l.rate] : []));
  return {
    model_kind: spec.layers.some((l) => l.kind === "conv2d") ? "cnn" : "mlp",
    optimizer: "",
    batch_size: 0,
    epochs: 0,
    learning_rate: 0,
    dropout: Math.max(0, ...dropouts),
    hidden_units: dense.slice(0, -1).join(","),
  };
}

/** The events of an imported run: it starts and is done at once, with no epochs and no test metrics yet. */
function importEvents(spec: ModelSpec, upload: ModelUpload, artifacts: string[], now: number): TrainEvent[] {
  const paramCount = analyzeSpec(spec).totals.params;
  return [
    {
      seq: 0,
      time: now,
      type: "start",
      backend: "cpu",
      epochs: 0,
      stepsPerEpoch: 0,
      trainSamples: 0,
      valSamples: 0,
      paramCount,
    },
    {
      seq: 1,
      time: now,
      type: "log",
      level: "info",
      message: `imported from ${upload.spec.name} + ${upload.weights.name}${upload.normalization ? ` + ${upload.normalization.file}` : ""}; trained elsewhere`,
    },
    {
      seq: 2,
      time: now,
      type: "done",
      epochs: 0,
      stoppedEarly: false,
      testLoss: null,
      testAccuracy: null,
      seconds: 0,
      artifacts,
    },
  ];
}

/**
 * Imports a model as a run with status `succeeded` and executor `import`:
 * validates the files against each other and the dataset, writes spec.json,
 * weights.safetensors and normalization.json into a new run folder, then
 * registers the run, its events and its artifacts in one transaction.
 */
export async function importRun(ctx: ImportRunContext, input: ImportRunInput): Promise<RunRow> {
  const upload = sortUpload(input.files);
  const dataset = await resolveDataset(ctx.registry, input.dataset);
  const model = readUpload(upload);
  checkFitsDataset(model.spec, dataset);
  const normalization = upload.normalization?.value ?? model.normalization;
  if (normalization === undefined) {
    throw new HttpError(
      400,
      `${upload.weights.name} records no normalization; send normalization.json ({"mean": [...], "std": [...]}) or the model.py exported with it (its MEAN and STD)`,
    );
  }
  const problem = normalizationProblem(normalization, model.spec.input.shape);
  if (problem) throw new HttpError(400, `${upload.normalization?.file ?? upload.weights.name}: ${problem}`);

  const text = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  const files: [string, Uint8Array][] = [
    ["spec.json", text(model.spec)],
    ["weights.safetensors", model.weights],
    ["normalization.json", text(normalization)],
  ];
  const id = newRunId();
  const now = Date.now();
  const row: NewRunRow = {
    id,
    name: input.name?.trim() || model.spec.name?.trim() || "imported model",
    status: "succeeded",
    tags: JSON.stringify(runTags(["imported"])),
    notes: `Imported from ${upload.spec.name} + ${upload.weights.name}.`,
    spec: JSON.stringify(model.spec),
    config: "{}",
    fingerprint: `import-${createHash("sha256").update(model.weights).digest("hex").slice(0, 32)}`,
    fingerprint_slot: null,
    dataset: dataset.id,
    train_limit: null,
    executor: "import",
    ...importColumns(model.spec),
    created_at: now,
    started_at: now,
    finished_at: now,
    epochs_done: 0,
    error: null,
  };
  // The folder is complete before the row exists, so no reader ever finds the run without its files.
  const dir = runDir(ctx.dataDir, id);
  await mkdir(dir, { recursive: true });
  try {
    for (const [name, bytes] of files) await writeFileAtomic(join(dir, name), [bytes]);
    const events = importEvents(
      model.spec,
      upload,
      files.map(([name]) => name),
      now,
    );
    await ctx.registry.inTransaction(async (tx) => {
      await tx.insertRun(row);
      await tx.insertEvents(id, events);
      for (const [name, bytes] of files) await tx.putArtifact(id, name, bytes.byteLength);
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return (await ctx.registry.getRun(id))!;
}
