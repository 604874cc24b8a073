import { readModel } from "@layerlab/export";
import { HttpError } from "../http-error";

/**
 * Refuses uploaded weights that are not a safetensors file holding exactly the
 * tensors (names, float32, shapes) of the run's model spec: a 400 that names
 * the tensor and both shapes, so that a bad upload never reaches `predict`.
 */
export function checkWeightsFitSpec(runId: string, specJson: string, weights: Uint8Array): void {
  try {
    readModel(JSON.parse(specJson), weights);
  } catch (err) {
    const problem = (err as Error).message.replace(/^export: /, "");
    throw new HttpError(
      400,
      `weights.safetensors does not fit run ${runId}'s model: ${problem}; upload the safetensors weights this run trained`,
    );
  }
}
