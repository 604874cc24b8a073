import { SALIENCY_METHOD_LABELS, SALIENCY_METHODS, type SaliencyMethod } from "@layerlab/spec";
import { useId } from "react";
import { heatGradientCss } from "./heatmap";

/** What each method shows, in a line. */
const METHOD_HINTS: Record<SaliencyMethod, string> = {
  gradientTimesInput: "pixel by pixel: how much each pixel's value moved the class's score, up or down",
  gradCam: "region by region: where the last feature maps found evidence for the class (coarser)",
};

/** The colour key of the heat maps. */
export function HeatLegend() {
  return (
    <div className="heat-legend" role="img" aria-label="Colour key: see-through counted little, yellow counted most">
      <span className="muted">less</span>
      <span className="heat-legend-bar" style={{ background: heatGradientCss() }} />
      <span className="muted">more influence</span>
    </div>
  );
}

/** Picks the saliency method (Grad-CAM disabled, with the reason, for a model without feature maps) and the class to explain. */
export function SaliencyControls({
  method,
  onMethod,
  classIndex,
  onClass,
  classes,
  predicted,
  gradCamReason,
}: {
  method: SaliencyMethod;
  onMethod: (method: SaliencyMethod) => void;
  /** The class explained; null for whichever the model predicts. */
  classIndex: number | null;
  onClass: (classIndex: number | null) => void;
  classes: readonly string[];
  predicted: number | null;
  /** Why Grad-CAM cannot explain this model; null when it can. */
  gradCamReason: string | null;
}) {
  const id = useId();
  return (
    <div className="saliency-controls">
      <fieldset className="saliency-methods">
        <legend>Method</legend>
        {SALIENCY_METHODS.map((m) => (
          <label key={m} className={`chip toggle${m === "gradCam" && gradCamReason ? " disabled" : ""}`}>
            <input
              type="radio"
              name={`${id}-method`}
              value={m}
              checked={method === m}
              disabled={m === "gradCam" && gradCamReason !== null}
              onChange={() => onMethod(m)}
            />
            {SALIENCY_METHOD_LABELS[m]}
          </label>
        ))}
      </fieldset>
      <p className="muted saliency-hint">{METHOD_HINTS[method]}</p>
      {gradCamReason && (
        <p className="muted saliency-hint" data-testid="gradcam-unavailable">
          {gradCamReason}.
        </p>
      )}
      <label className="labelled" htmlFor={`${id}-class`}>
        Explain
        <select
          id={`${id}-class`}
          value={classIndex === null ? "" : String(classIndex)}
          onChange={(e) => onClass(e.target.value === "" ? null : Number(e.target.value))}
        >
          <option value="">
            the prediction{predicted !== null && classes[predicted] ? ` (${classes[predicted]})` : ""}
          </option>
          {classes.map((c, i) => (
            <option key={c} value={i}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <HeatLegend />
    </div>
  );
}
