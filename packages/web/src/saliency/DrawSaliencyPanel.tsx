import { SALIENCY_METHOD_LABELS } from "@layerlab/spec";
import { SaliencyControls } from "./SaliencyControls";
import { SaliencyImage } from "./SaliencyImage";
import type { useDrawSaliency } from "./useDrawSaliency";
import "./saliency.css";

/** Side in CSS pixels of the model-input view (28×28 inputs show at 4×). */
const INPUT_VIEW_SIDE = 112;

/**
 * The drawing page's saliency settings and what they show: the method and
 * class, a line saying what is explained, and the model's own input with the
 * heat map over it (the drawing carries the same map on its canvas).
 */
export function DrawSaliencyPanel({
  saliency,
  classes,
  note,
}: {
  saliency: ReturnType<typeof useDrawSaliency>;
  classes: readonly string[];
  /** Why no model can be explained yet (loading it into the page, or its failure). */
  note: string | null;
}) {
  const { shown } = saliency;
  const map = shown?.map ?? null;
  const [height = 1, width = 1] = (shown?.shape ?? []).slice(-2);
  const name = (i: number) => classes[i] ?? `class ${i}`;
  let status: string;
  if (note) status = note;
  else if (shown?.error) status = `No map: ${shown.error}`;
  else if (!map) status = "Draw something to see which pixels drove the prediction.";
  else if (map.peak === 0) status = `Nothing in this image raised the score of ${name(map.classIndex)}.`;
  else {
    const p = `${(map.probabilities[map.classIndex]! * 100).toFixed(1)}%`;
    const what = map.classIndex === map.predicted ? `the prediction ${name(map.classIndex)}` : name(map.classIndex);
    status = `Showing what drove ${what} (${p}) by ${SALIENCY_METHOD_LABELS[map.method]}: brighter counted more.`;
  }
  return (
    <div className="saliency-panel" data-testid="saliency-panel">
      <SaliencyControls
        method={saliency.method}
        onMethod={saliency.setMethod}
        classIndex={saliency.classIndex}
        onClass={saliency.setClassIndex}
        classes={classes}
        predicted={map?.predicted ?? null}
        gradCamReason={saliency.gradCamReason}
      />
      <p className="saliency-status" data-testid="saliency-status">
        {status}
      </p>
      {shown?.input && (
        <figure className="saliency-input">
          <SaliencyImage
            input={shown.input}
            width={width}
            height={height}
            values={map?.values ?? null}
            scale={Math.max(1, Math.round(INPUT_VIEW_SIDE / Math.max(width, height)))}
            label={`The model's ${width}×${height} input with the heat map over it`}
            testId="saliency-input"
          />
          <figcaption className="muted">
            What the model sees ({width}×{height})
          </figcaption>
        </figure>
      )}
    </div>
  );
}
