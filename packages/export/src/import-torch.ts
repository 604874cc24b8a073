import { encodeSafetensors } from "@layerlab/engine/safetensors";
import { NORMALIZATION_METADATA_KEY } from "@layerlab/spec";
import type { Normalization } from "./model-view";
import { importNative, type NativeModel } from "./native";
import { decodeTorchStateDict, TorchLoadError } from "./torch-pt-read";

/**
 * Reads spec.json + a `.pt` state_dict (model.py's, or any saved with
 * `torch.save(model.state_dict(), path)` for the same layers) as a native
 * model: the tensors re-encoded as LayerLab's safetensors, batch norms' batch
 * counters dropped, `normalization` recorded in the metadata, and the whole
 * checked against the spec. Errors name model.pt or the tensor and the fix.
 */
export function importTorch(specJson: string | Uint8Array, pt: Uint8Array, normalization?: Normalization): NativeModel {
  let stateDict: ReturnType<typeof decodeTorchStateDict>;
  try {
    stateDict = decodeTorchStateDict(pt);
  } catch (err) {
    if (err instanceof TorchLoadError) throw new Error(`import: the .pt file cannot be read: ${err.message}`);
    throw err;
  }
  const tensors: Parameters<typeof encodeSafetensors>[0] = {};
  for (const [name, t] of stateDict) {
    // PyTorch's BatchNorm counts its batches; LayerLab's weights do not keep the counter.
    if (name.endsWith(".num_batches_tracked")) continue;
    if (t.dtype !== "float32") {
      throw new Error(`import: the .pt file's '${name}' holds integers; LayerLab weights are float tensors`);
    }
    tensors[name] = { dtype: "F32", shape: t.shape, data: t.data };
  }
  const metadata: Record<string, string> = { format: "pt" };
  if (normalization) metadata[NORMALIZATION_METADATA_KEY] = JSON.stringify(normalization);
  return importNative(specJson, encodeSafetensors(tensors, metadata));
}

/** A tuple of numbers assigned to `name` at the start of a line of model.py, e.g. `MEAN = (0.1307,)`; null when absent or None. */
function pythonTuple(source: string, name: string): number[] | null {
  const match = new RegExp(`^${name} = \\(([^)]*)\\)`, "m").exec(source);
  if (!match) return null;
  const values = match[1]!
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  return values.length > 0 && values.every(Number.isFinite) ? values : null;
}

/**
 * The normalization a model.py exported by LayerLab states in its `MEAN` and
 * `STD` lines, read as text (never run); undefined when it records none.
 */
export function normalizationFromModelPy(source: string): Normalization | undefined {
  const mean = pythonTuple(source, "MEAN");
  const std = pythonTuple(source, "STD");
  return mean && std ? { mean, std } : undefined;
}
