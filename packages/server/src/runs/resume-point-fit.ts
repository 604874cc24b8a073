import { readModel } from "@layerlab/export";
import { decodeResumePoint } from "@layerlab/runner";
import { HttpError } from "../http-error";

/**
 * Refuses an uploaded resume point (optimizer.safetensors) that a resume
 * could not start from: not a resume point, progress without a whole number
 * of epochs done, or weights that are not exactly the tensors of the run's
 * model spec. A 400 that names the file, the problem and the fix.
 */
export function checkResumePointFitsSpec(runId: string, specJson: string, bytes: Uint8Array): void {
  const refuse = (problem: string): never => {
    throw new HttpError(
      400,
      `optimizer.safetensors of run ${runId} is not a resume point of its model: ${problem}; upload the resume point the run's trainer wrote at an epoch's end`,
    );
  };
  let point: ReturnType<typeof decodeResumePoint> | undefined;
  try {
    point = decodeResumePoint(bytes);
  } catch (err) {
    refuse((err as Error).message);
  }
  if (!point) return;
  const epochsDone = (point.state as { epochsDone?: unknown }).epochsDone;
  if (typeof epochsDone !== "number" || !Number.isInteger(epochsDone) || epochsDone < 0)
    refuse(`its progress says epochsDone is ${JSON.stringify(epochsDone)}, not a whole number of epochs`);
  try {
    readModel(JSON.parse(specJson), point.weights);
  } catch (err) {
    refuse(`its weights do not fit the model (${(err as Error).message.replace(/^export: /, "")})`);
  }
}
