import { encodeSafetensors } from "@layerlab/engine/safetensors";
import { type ModelSpec, NORMALIZATION_METADATA_KEY } from "@layerlab/spec";

export { NORMALIZATION_METADATA_KEY };

import { type Normalization, readModel } from "./model-view";
import { encodeOnnx } from "./onnx";
import { pytorchModelCode } from "./pytorch-code";
import { bundleReadme, type ExportFormat, type ExportSource } from "./readme";
import { encodeTorchStateDict, type TorchTensor } from "./torch-pt";

export type { ExportFormat, ExportSource } from "./readme";

/** Every format, in the order `all` writes them. */
export const EXPORT_FORMATS: readonly ExportFormat[] = ["pytorch", "onnx", "safetensors"];

/** The files `exportModel` writes for each format (besides README.md). */
export const FORMAT_FILES: Readonly<Record<ExportFormat, readonly string[]>> = {
  pytorch: ["model.py", "model.pt"],
  onnx: ["model.onnx"],
  safetensors: ["spec.json", "weights.safetensors"],
};

/** One file of an export bundle. */
export interface ExportFile {
  name: string;
  bytes: Uint8Array;
}

/** What `exportModel` takes. */
export interface ExportRequest {
  /** The model spec (raw JSON or parsed). */
  spec: ModelSpec | unknown;
  /** The trained weights as safetensors (the run folder's weights.safetensors). */
  weights: Uint8Array;
  /** The training set's per-channel mean/std; recorded in every format and used by model.py's `preprocess`. */
  normalization?: Normalization;
  /** One format, several, or "all". */
  format: ExportFormat | "all" | ExportFormat[];
  /** The checkpoint the weights come from, named in the README. */
  source?: ExportSource;
}

/** The formats a request names, deduplicated, in canonical order; throws on an unknown name. */
export function resolveFormats(format: ExportRequest["format"]): ExportFormat[] {
  const asked = format === "all" ? [...EXPORT_FORMATS] : Array.isArray(format) ? format : [format];
  for (const f of asked) {
    if (!EXPORT_FORMATS.includes(f)) {
      throw new Error(`export: unknown format '${String(f)}'; use one of pytorch, onnx, safetensors, all`);
    }
  }
  if (asked.length === 0) throw new Error("export: no format given; use pytorch, onnx, safetensors or all");
  return EXPORT_FORMATS.filter((f) => asked.includes(f));
}

const text = (s: string) => new TextEncoder().encode(s);

/**
 * Exports a model: `pytorch` → model.py + model.pt, `onnx` → model.onnx,
 * `safetensors` → spec.json + weights.safetensors; always a README.md saying
 * how to load each. Pure: no files, no Python, runs in Node and the browser.
 */
export function exportModel(request: ExportRequest): ExportFile[] {
  const formats = resolveFormats(request.format);
  const view = readModel(request.spec, request.weights, request.normalization);
  const files: ExportFile[] = [];
  if (formats.includes("pytorch")) {
    files.push({ name: "model.py", bytes: text(pytorchModelCode(view)) });
    files.push({ name: "model.pt", bytes: encodeTorchStateDict(torchStateDict(view)) });
  }
  if (formats.includes("onnx")) files.push({ name: "model.onnx", bytes: encodeOnnx(view) });
  if (formats.includes("safetensors")) {
    files.push({ name: "spec.json", bytes: text(`${JSON.stringify(view.spec, null, 2)}\n`) });
    files.push({ name: "weights.safetensors", bytes: nativeWeights(view) });
  }
  files.push({ name: "README.md", bytes: text(bundleReadme(view, formats, request.source)) });
  return files;
}

/** The state_dict of model.py's LayerLabModel: the weights plus each batch norm's `num_batches_tracked` (0). */
function torchStateDict(view: ReturnType<typeof readModel>): [string, TorchTensor][] {
  const out: [string, TorchTensor][] = [];
  for (const [name, t] of view.tensors) {
    out.push([name, { dtype: "float32", shape: t.shape, data: t.data }]);
    // PyTorch's BatchNorm registers num_batches_tracked after running_var; strict loading needs it.
    if (name.endsWith(".running_var")) {
      const layer = name.slice(0, -".running_var".length);
      out.push([`${layer}.num_batches_tracked`, { dtype: "int64", shape: [], data: BigInt64Array.of(0n) }]);
    }
  }
  return out;
}

/** The native weights: the same tensors, re-encoded canonically, with the normalization as metadata. */
function nativeWeights(view: ReturnType<typeof readModel>): Uint8Array {
  const tensors = Object.fromEntries(
    view.tensors.map(([name, t]) => [name, { dtype: "F32" as const, shape: t.shape, data: t.data }]),
  );
  const metadata: Record<string, string> = { format: "pt" };
  if (view.normalization) metadata[NORMALIZATION_METADATA_KEY] = JSON.stringify(view.normalization);
  return encodeSafetensors(tensors, metadata);
}
