import { type DecodedImage, inputFrame } from "@layerlab/data-core";
import type { SaliencyMap } from "@layerlab/engine";
import type { ModelSpecInput, SaliencyMethod } from "@layerlab/spec";
import { type RefObject, useMemo, useState } from "react";
import { latestOnly } from "../draw/liveInference";
import { modelInput } from "../draw/preprocess";
import { trainer } from "../train/trainer";
import { gradCamReasonOf } from "./availability";
import { type ImagePlacement, type MapPlacement, placeOnCanvas } from "./heatmap";

/** What the drawing page explains: an image, and where it lies on the drawing canvas. */
export interface ExplainedSample {
  image: DecodedImage;
  placement: ImagePlacement;
}

/** The latest saliency map of the drawing, with what it needs to be shown, or why there is none. */
export interface DrawSaliency {
  modelId: string;
  map: SaliencyMap | null;
  /** The model's input (raw, in [0, 1]) and its shape: the 28×28 view shows it under the map. */
  input: Float32Array | null;
  shape: number[];
  /** Where the map's pixels lie on the drawing canvas; null when the input has none there (a blank digit). */
  placement: MapPlacement | null;
  error: string | null;
}

/** The model the drawing page explains: its id, spec, whether it reads digits, and how to load it into the worker. */
export interface ExplainedModel {
  id: string;
  spec: ModelSpecInput;
  digits: boolean;
  load?: () => Promise<void>;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The drawing page's "what did it look at" state: on or off, the method and
 * class, and the latest map of `model` for the drawing, computed in the page's
 * engine worker (where the model's copy already is) at most one at a time.
 * `blank` is true while the canvas is cleared: a map that lands then is dropped.
 */
export function useDrawSaliency(model: ExplainedModel | null, blank: RefObject<boolean>) {
  const [on, setOn] = useState(false);
  const [chosenMethod, setMethod] = useState<SaliencyMethod>("gradientTimesInput");
  const [classIndex, setClassIndex] = useState<number | null>(null);
  const [shown, setShown] = useState<DrawSaliency | null>(null);
  const spec = model?.spec ?? null;
  const gradCamReason = useMemo(() => gradCamReasonOf(spec), [spec]);
  // A model without feature maps falls back to the method that explains any model.
  const method: SaliencyMethod = chosenMethod === "gradCam" && gradCamReason ? "gradientTimesInput" : chosenMethod;
  const classCount = (spec?.classes ?? []).length;
  const explainedClass = classIndex !== null && classIndex < classCount ? classIndex : null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: one throttle per model and request, rebuilt only when they change.
  const explain = useMemo(() => {
    if (!on || !model) return null;
    const { id, spec: modelSpec, digits } = model;
    const shape = [...((modelSpec.input?.shape ?? []) as number[])];
    return latestOnly(
      async (sample: ExplainedSample): Promise<DrawSaliency> => {
        const none = { modelId: id, map: null, input: null, shape, placement: null };
        let input: Float32Array;
        try {
          input = modelInput(modelSpec, digits, sample.image);
        } catch (err) {
          return { ...none, error: messageOf(err) };
        }
        const frame = inputFrame(sample.image, { shape, digits });
        try {
          await model.load?.();
          const request = explainedClass === null ? { method } : { method, classIndex: explainedClass };
          const got = await trainer.saliency(id, input, request);
          return {
            modelId: id,
            map: got.saliency,
            input,
            shape,
            placement: frame ? placeOnCanvas(frame, sample.placement) : null,
            error: got.error ?? null,
          };
        } catch (err) {
          return { ...none, error: messageOf(err) };
        }
      },
      (out) => !blank.current && setShown(out),
    );
  }, [on, model?.id, model?.spec, model?.digits, method, explainedClass]);
  return {
    on,
    setOn,
    method,
    setMethod,
    classIndex: explainedClass,
    setClassIndex,
    gradCamReason,
    explain,
    /** The latest map, if it is of the model explained now. */
    shown: on && shown?.modelId === model?.id ? shown : null,
    clear: () => setShown(null),
  };
}
