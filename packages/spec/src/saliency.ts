/*
 * What the saliency views offer, shared by the engine that computes the maps
 * and the pages that offer them (which know a model's layer shapes from
 * `analyzeSpec`, without the engine).
 */

/** The ways of explaining a prediction: gradient × input (any model) and Grad-CAM (conv nets). */
export const SALIENCY_METHODS = ["gradientTimesInput", "gradCam"] as const;
export type SaliencyMethod = (typeof SALIENCY_METHODS)[number];

/** The methods' names, for people. */
export const SALIENCY_METHOD_LABELS: Record<SaliencyMethod, string> = {
  gradientTimesInput: "Gradient × input",
  gradCam: "Grad-CAM",
};

/**
 * The layer Grad-CAM reads, from the layers' output shapes (without the batch
 * dimension): the last one whose output is an image `[C, H, W]` (a convolution,
 * pool, activation, batch norm… on feature maps) and that is not the model's
 * output. Null for a model without one (an MLP).
 */
export function gradCamLayerIndex(outShapes: readonly (readonly number[] | null | undefined)[]): number | null {
  for (let i = outShapes.length - 2; i >= 0; i--) if (outShapes[i]?.length === 3) return i;
  return null;
}

/** Why `method` cannot explain a model with these layer output shapes, for a person; null when it can. */
export function saliencyUnavailable(
  method: SaliencyMethod,
  outShapes: readonly (readonly number[] | null | undefined)[],
): string | null {
  if (method === "gradCam" && gradCamLayerIndex(outShapes) === null) {
    return "Grad-CAM needs a layer whose output is an image (a convolution or pooling layer); this model has none, so use Gradient × input";
  }
  return null;
}
