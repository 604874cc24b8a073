import { analyzeSpec, type ModelSpecInput, saliencyUnavailable } from "@layerlab/spec";

/** Why Grad-CAM cannot explain the model of `spec` (no layer outputs an image), or null when it can. */
export function gradCamReasonOf(spec: ModelSpecInput | null): string | null {
  if (!spec) return null;
  return saliencyUnavailable(
    "gradCam",
    analyzeSpec(spec).layers.map((l) => l.outShape),
  );
}
